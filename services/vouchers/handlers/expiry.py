"""After a programme's redemption deadline: unclaimed vouchers and open applications expire and
their money goes back to the budget.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from services.vouchers.db.applications import due_for_expiry, update_application
from services.vouchers.domain import Status
from services.vouchers.handlers.applications import Row, application_ref, release_reserved
from services.vouchers.handlers.rules import programme_rules
from shared.db.uow import UnitOfWork
from shared.errors import Conflict
from shared.events.contracts.vouchers import VoucherExpired


async def expire(uow: UnitOfWork, row: Row, *, now: datetime) -> None:
    """Expire one locked voucher or waiting application after the redemption deadline; money goes back."""
    released = await release_reserved(uow, row, note="expired", actor="deadline")
    await update_application(uow.conn, row["id"], status=Status.EXPIRED.value, reserved=False)
    if row["voucher_id"] is not None:
        uow.emit(
            VoucherExpired(**application_ref(row), voucher_id=row["voucher_id"], released_cents=released),
            subject=str(row["voucher_id"]),
        )


async def expire_due(uow: UnitOfWork, programme_id: uuid.UUID, *, now: datetime) -> int:
    """After the redemption deadline, expire every unclaimed voucher and every open application."""
    rules = await programme_rules(uow.conn, programme_id)
    if now < rules.redeem_by:
        raise Conflict(
            f"Vouchers of this programme can be claimed until {rules.redeem_by.isoformat()}; expire them after that."
        )
    rows = await due_for_expiry(uow.conn, programme_id)
    for row in rows:
        await expire(uow, row, now=now)
    return len(rows)
