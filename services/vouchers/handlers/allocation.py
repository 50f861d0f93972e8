"""The lottery draw of a window-allocation programme: fund the winners, queue the rest, publish it all."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.vouchers import lottery
from services.vouchers.db.applications import mark_draw_results, unfunded_for_draw
from services.vouchers.db.money import MoneyMove, lock_category, move_money_in_order
from services.vouchers.db.programmes import get_categories, get_programme, set_draw
from services.vouchers.domain import Status
from services.vouchers.handlers.applications import application_ref, issue_voucher
from services.vouchers.handlers.rules import programme_rules
from services.vouchers.handlers.thresholds import announce_thresholds
from shared.db.uow import UnitOfWork
from shared.errors import Conflict
from shared.events.contracts.vouchers import AllocationMode, ApplicationPromoted, ApplicationWaitlisted, DrawPublished


async def run_draw(uow: UnitOfWork, programme_id: uuid.UUID, *, actor: str, now: datetime) -> dict[str, Any]:
    """At close, draw the lottery with the committed seed, fund the winners and queue the rest; publish it all."""
    rules = await programme_rules(uow.conn, programme_id)
    if rules.mode is not AllocationMode.LOTTERY:
        raise Conflict("This programme allocates first come, first served; there is no draw.")
    if now < rules.closes_at:
        raise Conflict(f"The draw can only be run after the window closes at {rules.closes_at.isoformat()}.")
    programme = await get_programme(uow.conn, programme_id)
    assert programme is not None
    if programme["drawn_at"] is not None:
        raise Conflict("This programme's lottery was drawn already; see GET /programmes/{id}/draw.")
    categories = {c["code"]: c for c in await get_categories(uow.conn, programme_id)}
    for code in sorted(categories):
        await lock_category(uow.conn, programme_id, code)
    rows = await unfunded_for_draw(uow.conn, programme_id)
    by_id = {str(r["id"]): r for r in rows}
    data = lottery.DrawInput(
        seed=programme["seed"],
        entries=tuple(
            lottery.Entry(
                str(r["id"]),
                r["category"],
                int(r["amount_cents"]),
                lottery.groups_that_count(r["target_groups"], programme["quotas"], programme["weights"]),
            )
            for r in rows
        ),
        budgets={code: int(c["available_cents"]) for code, c in categories.items()},
        quotas=dict(programme["quotas"]),
        weights=dict(programme["weights"]),
    )
    result = lottery.draw(data)
    rank = {a: i + 1 for i, a in enumerate(result.order)}
    funded_rows: list[tuple[uuid.UUID, str, int, uuid.UUID | None]] = []
    reservations: list[MoneyMove] = []
    status = Status.VOUCHER_ISSUED if rules.auto_approve else Status.SUBMITTED
    for app_id in result.funded:
        r = by_id[app_id]
        voucher_id = uuid.uuid4() if rules.auto_approve else None
        funded_rows.append((r["id"], status.value, rank[app_id], voucher_id))
        reservations.append(MoneyMove.reservation(r, actor="lottery"))
        uow.emit(ApplicationPromoted(**application_ref(r), amount_cents=r["amount_cents"]), subject=str(r["id"]))
        if voucher_id is not None:
            issue_voucher(uow, rules, r, voucher_id, "auto")
    if await move_money_in_order(uow.conn, reservations) != len(reservations):
        raise Conflict("The category budgets changed during the draw; run the draw again.")
    waitlisted = [(by_id[a]["id"], rank[a]) for a in result.waitlist]
    await mark_draw_results(uow.conn, funded_rows, waitlisted)
    for app_id in result.waitlist:
        uow.emit(ApplicationWaitlisted(**application_ref(by_id[app_id]), draw_rank=rank[app_id]), subject=app_id)
    published = {
        "programme_id": str(programme_id),
        "seed": programme["seed"],
        "seed_commitment": programme["seed_commitment"],
        "algorithm": lottery.ALGORITHM,
        "inputs_digest": data.digest(),
        "entries": [e.__dict__ | {"target_groups": list(e.target_groups)} for e in data.entries],
        "budgets": dict(data.budgets),
        "quotas": dict(data.quotas),
        "weights": dict(data.weights),
        "order": list(result.order),
        "funded": list(result.funded),
        "waitlist": list(result.waitlist),
        "drawn_by": actor,
        "drawn_at": now.isoformat(),
    }
    if not await set_draw(uow.conn, programme_id, published):
        raise Conflict("This programme's lottery was drawn already; see GET /programmes/{id}/draw.")
    uow.emit(
        DrawPublished(
            programme_id=programme_id,
            seed=programme["seed"],
            seed_commitment=programme["seed_commitment"],
            algorithm=lottery.ALGORITHM,
            inputs_digest=data.digest(),
            order=[uuid.UUID(a) for a in result.order],
            funded=[uuid.UUID(a) for a in result.funded],
        ),
        subject=str(programme_id),
    )
    for code in categories:
        money = await lock_category(uow.conn, programme_id, code)
        assert money is not None
        await announce_thresholds(uow, programme_id, code, money)
    return published
