"""Budget changes: an officer raises, lowers or moves a category's budget; every cent goes through the ledger."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.vouchers.db.money import Money, MoneyMove, lock_category, move_money, set_alerted
from services.vouchers.domain import MAX_CATEGORY_BUDGET_CENTS, threshold_level
from services.vouchers.handlers.rules import category_rule, programme_rules
from services.vouchers.handlers.thresholds import announce_thresholds
from services.vouchers.handlers.waiting_list import promote_waitlisted
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, Unprocessable
from shared.events.contracts.vouchers import BudgetChanged


async def change_budget(
    uow: UnitOfWork, programme_id: uuid.UUID, category: str, delta_cents: int, *, reason: str, actor: str, now: datetime
) -> Money:
    """Raise (or lower) a category's budget; a raise goes to the waiting list first."""
    rules = await programme_rules(uow.conn, programme_id)
    category_rule(rules, category)
    money = await _budget_step(uow, programme_id, category, delta_cents, reason=reason, actor=actor, other=None)
    if delta_cents > 0:
        await promote_waitlisted(uow, rules, category, now)
    return money


async def move_budget(
    uow: UnitOfWork,
    programme_id: uuid.UUID,
    source: str,
    target: str,
    amount_cents: int,
    *,
    reason: str,
    actor: str,
    now: datetime,
) -> None:
    """Move available money from one category to another (both entries in the ledger)."""
    rules = await programme_rules(uow.conn, programme_id)
    category_rule(rules, source)
    category_rule(rules, target)
    if source == target:
        raise Unprocessable("Moving money needs two different categories.")
    # Lock both rows in one order so two opposite moves cannot deadlock.
    for code in sorted((source, target)):
        await lock_category(uow.conn, programme_id, code)
    await _budget_step(uow, programme_id, source, -amount_cents, reason=reason, actor=actor, other=target)
    await _budget_step(uow, programme_id, target, amount_cents, reason=reason, actor=actor, other=source)
    await promote_waitlisted(uow, rules, target, now)


async def _budget_step(
    uow: UnitOfWork, programme_id: uuid.UUID, category: str, delta: int, *, reason: str, actor: str, other: str | None
) -> Money:
    before = await lock_category(uow.conn, programme_id, category)
    assert before is not None
    if delta > 0 and before.budget_cents + delta > MAX_CATEGORY_BUDGET_CENTS:
        raise Unprocessable(
            f"Category {category!r} would have a budget of {before.budget_cents + delta} cents;"
            f" a category holds at most {MAX_CATEGORY_BUDGET_CENTS} cents."
        )
    if delta < 0 and before.available_cents < -delta:
        raise Conflict(
            f"Category {category!r} has {before.available_cents} cents available (the rest is reserved or spent);"
            f" lower or move at most that."
        )
    money = await move_money(
        uow.conn,
        MoneyMove(
            programme_id, category, "budget", abs(delta), d_budget=delta, d_available=delta, note=reason, actor=actor
        ),
    )
    assert money is not None
    level = threshold_level(money.budget_cents, money.available_cents, money.voucher_amount_cents)
    if level < money.alerted_pct:
        # More money re-arms the alerts: passing 80% again is news again.
        await set_alerted(uow.conn, programme_id, category, level)
        money = Money(**{**money.__dict__, "alerted_pct": level})
    await announce_thresholds(uow, programme_id, category, money)
    uow.emit(
        BudgetChanged(
            programme_id=programme_id,
            category=category,
            delta_cents=delta,
            budget_after_cents=money.budget_cents,
            available_after_cents=money.available_cents,
            moved_with=other,
        ),
        subject=f"{programme_id}/{category}",
    )
    return money
