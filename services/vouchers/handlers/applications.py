"""What every command on an application shares: its lock, its status check, the fields of its
events, issuing its voucher and releasing its reserved money.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import asyncpg

from services.vouchers.db.applications import get_application
from services.vouchers.db.money import MoneyMove, move_money
from services.vouchers.domain import Status
from services.vouchers.handlers.rules import ProgrammeRules
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound
from shared.events.contracts.vouchers import ApplicationApproved, VoucherIssued

# An application as handlers see it: a database record or the dict the hot path builds.
Row: TypeAlias = Mapping[str, Any] | asyncpg.Record


def application_ref(row: Row) -> dict[str, Any]:
    """The fields every application event starts with."""
    return {
        "application_id": row["id"],
        "programme_id": row["programme_id"],
        "category": row["category"],
        "participant_id": row["participant_id"],
    }


def issue_voucher(uow: UnitOfWork, rules: ProgrammeRules, row: Row, voucher_id: uuid.UUID, by: str) -> None:
    """Announce an approval and the voucher it issues (the caller has stored both)."""
    uow.emit(ApplicationApproved(**application_ref(row), approved_by=by), subject=str(row["id"]))
    uow.emit(
        VoucherIssued(
            **application_ref(row),
            voucher_id=voucher_id,
            course_id=row["course_id"],
            provider_id=row["provider_id"],
            amount_cents=row["amount_cents"],
            redeem_by=rules.redeem_by,
        ),
        subject=str(voucher_id),
    )


async def locked_application(uow: UnitOfWork, application_id: uuid.UUID) -> asyncpg.Record:
    """An application, locked until the transaction ends; 404 if there is none."""
    row = await get_application(uow.conn, application_id, lock=True)
    if row is None:
        raise NotFound(f"There is no application {application_id}.")
    return row


def expect_status(row: Row, allowed: Sequence[Status], doing: str) -> None:
    """409 unless the application is in one of the ``allowed`` statuses."""
    if Status(row["status"]) not in allowed:
        raise Conflict(
            f"Application {row['id']} is {row['status']}; it can only be {doing} when it is"
            f" {' or '.join(s.value for s in allowed)}."
        )


async def release_reserved(uow: UnitOfWork, row: Row, *, note: str | None, actor: str) -> int:
    """Give an application's reserved money back to its category; returns the cents released."""
    if not row["reserved"]:
        return 0
    amount = int(row["amount_cents"])
    release = MoneyMove(
        row["programme_id"],
        row["category"],
        "release",
        amount,
        row["id"],
        d_available=amount,
        d_reserved=-amount,
        note=note,
        actor=actor,
    )
    money = await move_money(uow.conn, release)
    assert money is not None
    return amount
