"""Redemption: a provider claims a voucher after the course; settlement and clawback by programme officers."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.vouchers.db.applications import get_by_voucher, update_application
from services.vouchers.db.money import MoneyMove, move_money
from services.vouchers.domain import Status, payout
from services.vouchers.handlers.applications import application_ref, expect_status
from services.vouchers.handlers.rules import programme_rules
from services.vouchers.handlers.waiting_list import promote_waitlisted
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound
from shared.events.contracts.vouchers import VoucherClaimRejected, VoucherClawedBack, VoucherRedeemed, VoucherSettled


async def _voucher(uow: UnitOfWork, voucher_id: uuid.UUID) -> asyncpg.Record:
    row = await get_by_voucher(uow.conn, voucher_id, lock=True)
    if row is None:
        raise NotFound(f"There is no voucher {voucher_id}.")
    return row


async def redeem(
    uow: UnitOfWork,
    voucher_id: uuid.UUID,
    *,
    provider_id: uuid.UUID | None,
    attendance_pct: int,
    completed: bool,
    now: datetime,
) -> asyncpg.Record:
    """A provider claims a voucher after the course; attendance decides full, partial or no pay."""
    row = await _voucher(uow, voucher_id)
    if provider_id is not None and row["provider_id"] != provider_id:
        raise NotFound(f"There is no voucher {voucher_id} for your courses.")
    expect_status(row, [Status.VOUCHER_ISSUED], "claimed")
    rules = await programme_rules(uow.conn, row["programme_id"])
    if now >= rules.redeem_by:
        raise Conflict(f"The deadline for claims in this programme was {rules.redeem_by.isoformat()}; it has passed.")
    result = payout(
        int(row["amount_cents"]), attendance_pct, completed, rules.attendance_threshold_pct, rules.below_threshold
    )
    programme_id, category, application_id = row["programme_id"], row["category"], row["id"]
    if result.paid_cents:
        paid = result.paid_cents
        await move_money(
            uow.conn,
            MoneyMove(
                programme_id,
                category,
                "redeem",
                paid,
                application_id,
                d_reserved=-paid,
                d_redeemed=paid,
                actor="provider",
            ),
        )
    if result.released_cents:
        released = result.released_cents
        await move_money(
            uow.conn,
            MoneyMove(
                programme_id,
                category,
                "release",
                released,
                application_id,
                d_reserved=-released,
                d_available=released,
                note=f"claim {result.outcome.value} at {attendance_pct}% attendance",
                actor="provider",
            ),
        )
    status = Status.CLAIM_REJECTED if result.paid_cents == 0 else Status.REDEEMED
    updated = await update_application(
        uow.conn,
        row["id"],
        status=status.value,
        reserved=False,
        paid_cents=result.paid_cents,
        attendance_pct=attendance_pct,
        completed=completed,
    )
    voucher = {"voucher_id": voucher_id, "provider_id": row["provider_id"]}
    if status is Status.REDEEMED:
        uow.emit(
            VoucherRedeemed(
                **application_ref(row),
                **voucher,
                attendance_pct=attendance_pct,
                completed=completed,
                paid_cents=result.paid_cents,
                released_cents=result.released_cents,
                partial=result.released_cents > 0,
            ),
            subject=str(voucher_id),
        )
    else:
        uow.emit(
            VoucherClaimRejected(
                **application_ref(row),
                **voucher,
                attendance_pct=attendance_pct,
                completed=completed,
                released_cents=result.released_cents,
            ),
            subject=str(voucher_id),
        )
    if result.released_cents:
        await promote_waitlisted(uow, rules, row["category"], now)
    return updated


async def settle(uow: UnitOfWork, voucher_id: uuid.UUID, *, actor: str) -> asyncpg.Record:
    """The redeemed amount was paid to the provider."""
    row = await _voucher(uow, voucher_id)
    expect_status(row, [Status.REDEEMED], "settled")
    paid = int(row["paid_cents"])
    await move_money(
        uow.conn,
        MoneyMove(row["programme_id"], row["category"], "settle", paid, row["id"], d_settled=paid, actor=actor),
    )
    updated = await update_application(uow.conn, row["id"], status=Status.SETTLED.value)
    uow.emit(
        VoucherSettled(**application_ref(row), voucher_id=voucher_id, provider_id=row["provider_id"], paid_cents=paid),
        subject=str(voucher_id),
    )
    return updated


async def claw_back(uow: UnitOfWork, voucher_id: uuid.UUID, *, note: str, actor: str, now: datetime) -> asyncpg.Record:
    """The attendance evidence was withdrawn: the paid amount returns to the category."""
    row = await _voucher(uow, voucher_id)
    expect_status(row, [Status.REDEEMED, Status.SETTLED], "clawed back")
    paid = int(row["paid_cents"])
    was_settled = row["status"] == Status.SETTLED.value
    await move_money(
        uow.conn,
        MoneyMove(
            row["programme_id"],
            row["category"],
            "clawback",
            paid,
            row["id"],
            d_redeemed=-paid,
            d_available=paid,
            d_settled=-paid if was_settled else 0,
            note=note,
            actor=actor,
        ),
    )
    updated = await update_application(uow.conn, row["id"], status=Status.CLAWED_BACK.value, officer_note=note)
    uow.emit(
        VoucherClawedBack(
            **application_ref(row),
            voucher_id=voucher_id,
            provider_id=row["provider_id"],
            amount_cents=paid,
            was_settled=was_settled,
        ),
        subject=str(voucher_id),
    )
    if paid:
        rules = await programme_rules(uow.conn, row["programme_id"])
        await promote_waitlisted(uow, rules, row["category"], now)
    return updated
