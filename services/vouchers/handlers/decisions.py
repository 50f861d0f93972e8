"""Decisions on an application: an officer approves or rejects it; an applicant cancels it.

Each raises a :class:`~shared.errors.ClientError` with a sentence the caller can act on, before
anything is changed; released money goes to the waiting list.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.vouchers.db.applications import release_holding, update_application
from services.vouchers.domain import Status
from services.vouchers.handlers.applications import (
    application_ref,
    expect_status,
    issue_voucher,
    locked_application,
    release_reserved,
)
from services.vouchers.handlers.rules import programme_rules
from services.vouchers.handlers.waiting_list import promote_waitlisted
from shared.db.uow import UnitOfWork
from shared.errors import Conflict
from shared.events.contracts.vouchers import ApplicationCancelled, ApplicationRejected, RejectionReason


async def approve(uow: UnitOfWork, application_id: uuid.UUID, *, now: datetime) -> asyncpg.Record:
    """An officer approves an application whose money is reserved; the voucher is issued at once."""
    row = await locked_application(uow, application_id)
    expect_status(row, [Status.SUBMITTED], "approved")
    if not row["reserved"]:
        raise Conflict(
            f"Application {application_id} has no money reserved yet; in a lottery programme it gets money at the"
            " draw after the window closes."
        )
    rules = await programme_rules(uow.conn, row["programme_id"])
    voucher_id = uuid.uuid4()
    updated = await update_application(
        uow.conn, application_id, status=Status.VOUCHER_ISSUED.value, voucher_id=voucher_id, issued_at=now
    )
    issue_voucher(uow, rules, updated, voucher_id, "officer")
    return updated


async def reject(
    uow: UnitOfWork, application_id: uuid.UUID, *, reason: RejectionReason, note: str | None, actor: str, now: datetime
) -> asyncpg.Record:
    """An officer rejects an application with a reason's code and maybe a note; reserved money goes to the next in line.

    ``reason`` is the code that everyone who may see the application reads; ``note`` is the officer's own words,
    kept apart for officers only (it may name the person), and never in an event.
    """
    row = await locked_application(uow, application_id)
    expect_status(row, [Status.SUBMITTED, Status.WAITLISTED], "rejected")
    released = await release_reserved(uow, row, note=f"rejected: {reason.value}", actor=actor)
    updated = await update_application(
        uow.conn, application_id, status=Status.REJECTED.value, reserved=False, reason=reason.value, officer_note=note
    )
    await release_holding(uow.conn, row)
    uow.emit(
        ApplicationRejected(**application_ref(row), reason=reason, released_cents=released), subject=str(application_id)
    )
    if released:
        rules = await programme_rules(uow.conn, row["programme_id"])
        await promote_waitlisted(uow, rules, row["category"], now)
    return updated


async def cancel(
    uow: UnitOfWork, application_id: uuid.UUID, *, by_role: str, actor: str, now: datetime
) -> asyncpg.Record:
    """Withdraw an application or an unused voucher; its money goes to the next eligible applicant."""
    row = await locked_application(uow, application_id)
    expect_status(row, [Status.SUBMITTED, Status.WAITLISTED, Status.VOUCHER_ISSUED], "cancelled")
    released = await release_reserved(uow, row, note="cancelled", actor=actor)
    updated = await update_application(uow.conn, application_id, status=Status.CANCELLED.value, reserved=False)
    await release_holding(uow.conn, row)
    uow.emit(
        ApplicationCancelled(**application_ref(row), cancelled_by=by_role, released_cents=released),
        subject=str(application_id),
    )
    if released:
        rules = await programme_rules(uow.conn, row["programme_id"])
        await promote_waitlisted(uow, rules, row["category"], now)
    return updated
