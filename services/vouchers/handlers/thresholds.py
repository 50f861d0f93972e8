"""The 80/90/100 % announcements of a category's budget."""

from __future__ import annotations

import uuid

from services.vouchers.db.money import Money, lock_category, set_alerted
from services.vouchers.domain import threshold_level, thresholds_to_announce
from shared.db.uow import UnitOfWork, UnitOfWorkFactory
from shared.events.contracts.vouchers import BudgetThresholdPassed


async def announce_thresholds(uow: UnitOfWork, programme_id: uuid.UUID, category: str, money: Money) -> None:
    """Emit 80/90/100% events for thresholds newly passed (the category row is locked by the caller's change)."""
    level = threshold_level(money.budget_cents, money.available_cents, money.voucher_amount_cents)
    new = thresholds_to_announce(money.alerted_pct, level)
    if not new:
        return
    used = round(100 * (money.budget_cents - money.available_cents) / money.budget_cents) if money.budget_cents else 100
    for pct in new:
        uow.emit(
            BudgetThresholdPassed(
                programme_id=programme_id,
                category=category,
                threshold_pct=pct,
                used_pct=used,
                available_cents=money.available_cents,
                budget_cents=money.budget_cents,
            ),
            subject=f"{programme_id}/{category}",
        )
    await set_alerted(uow.conn, programme_id, category, level)


async def announce_thresholds_now(uows: UnitOfWorkFactory, programme_id: uuid.UUID, category: str) -> None:
    """Announce thresholds in a transaction of their own (after the one-statement hot path)."""
    async with uows() as uow:
        money = await lock_category(uow.conn, programme_id, category)
        if money is not None:
            await announce_thresholds(uow, programme_id, category, money)
        await uow.commit()
