"""The waiting list: released or added money goes to the next eligible waiting applicants."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.vouchers.db.applications import update_application, waitlist_candidates
from services.vouchers.db.money import MoneyMove, lock_category, move_money
from services.vouchers.domain import Status
from services.vouchers.handlers.applications import Row, application_ref, issue_voucher
from services.vouchers.handlers.rules import ProgrammeRules
from services.vouchers.handlers.thresholds import announce_thresholds
from shared.db.uow import UnitOfWork
from shared.events.contracts.vouchers import ApplicationPromoted


async def promote_waitlisted(uow: UnitOfWork, rules: ProgrammeRules, category: str, now: datetime) -> int:
    """Hand released money to the next eligible waiting applicants, in waiting-list order."""
    if now >= rules.redeem_by:
        return 0
    rule = rules.categories[category]
    promoted = 0
    while True:
        money = await lock_category(uow.conn, rules.id, category)
        if money is None or money.available_cents <= 0:
            break
        candidates = await waitlist_candidates(uow.conn, rules.id, category, money.available_cents)
        eligible = [c for c in candidates if c["situation"] in rule.eligible_situations]
        if not eligible:
            break
        progressed = False
        for c in eligible:
            reserved = await move_money(uow.conn, MoneyMove.reservation(c, actor="waiting-list"))
            if reserved is None:
                continue
            progressed = True
            promoted += 1
            await _after_reservation(uow, rules, c, now)
            await announce_thresholds(uow, rules.id, category, reserved)
        if not progressed or len(candidates) < 20:
            break
    return promoted


async def _after_reservation(uow: UnitOfWork, rules: ProgrammeRules, row: Row, now: datetime) -> None:
    """A waiting (or drawn) application got money: approve at once or await an officer."""
    uow.emit(ApplicationPromoted(**application_ref(row), amount_cents=row["amount_cents"]), subject=str(row["id"]))
    if rules.auto_approve:
        voucher_id = uuid.uuid4()
        await update_application(
            uow.conn, row["id"], status=Status.VOUCHER_ISSUED.value, reserved=True, voucher_id=voucher_id, issued_at=now
        )
        issue_voucher(uow, rules, row, voucher_id, "auto")
    else:
        await update_application(uow.conn, row["id"], status=Status.SUBMITTED.value, reserved=True)
