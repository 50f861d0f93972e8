"""Commands of the vouchers service, as plain functions over a unit of work.

This module holds programmes, their rules, thresholds and waiting lists, and officers'
decisions on applications; :mod:`.filing` files applications (the hot path), :mod:`.redemption`
claims, settlement and clawback, :mod:`.budgets` budget changes, :mod:`.allocation` the lottery
draw. Each command raises a :class:`~shared.errors.ClientError` with a sentence the caller can
act on, before anything is changed.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias

import asyncpg
from pydantic import AwareDatetime, BaseModel, Field, model_validator

from services.vouchers import db, lottery
from services.vouchers.domain import (
    CategoryRule,
    Status,
    threshold_level,
    thresholds_to_announce,
)
from shared.db import Connection
from shared.db.uow import UnitOfWork, UnitOfWorkFactory
from shared.errors import Conflict, NotFound, Unprocessable
from shared.events.contracts.intake import Situation, TargetGroup
from shared.events.contracts.vouchers import (
    AllocationMode,
    ApplicationApproved,
    ApplicationCancelled,
    ApplicationPromoted,
    ApplicationRejected,
    BudgetThresholdPassed,
    CategoryBudget,
    ProgrammeCreated,
    ProgrammePublished,
    RejectionReason,
    VoucherExpired,
    VoucherIssued,
)

# An application as handlers see it: a database record or the dict the hot path builds.
Row: TypeAlias = Mapping[str, Any] | asyncpg.Record


def utcnow() -> datetime:
    """The clock handlers use unless a test gives them another."""
    return datetime.now(UTC)


# ---------------------------------------------------------------- programmes


class CategoryIn(BaseModel):
    """One category of a new programme."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$", description="Short code, e.g. werk_in_techniek")
    name: str = Field(min_length=1, max_length=200, description="e.g. 'Ik werk in de techniek'")
    voucher_amount_cents: int = Field(gt=0, le=10_000_000, description="The most one voucher may be")
    budget_cents: int = Field(ge=0, le=10**13, description="This category's share of the budget")
    eligible_situations: list[Situation] = Field(min_length=1, description="Who may apply in this category")


class CreateProgramme(BaseModel):
    """What it takes to set up a voucher programme."""

    name: str = Field(min_length=1, max_length=200)
    mode: AllocationMode = AllocationMode.FIRST_COME_FIRST_SERVED
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    redeem_by: AwareDatetime = Field(description="Providers must claim vouchers before this moment")
    budget_cents: int = Field(ge=0, le=10**14, description="Total budget; must equal the sum of the categories")
    categories: list[CategoryIn] = Field(min_length=1, max_length=20)
    auto_approve: bool = Field(default=True, description="Issue a voucher as soon as money is reserved")
    max_vouchers_per_person: int = Field(default=1, ge=1, le=100)
    max_cents_per_person: int | None = Field(default=None, gt=0)
    max_cents_per_person_per_year: int | None = Field(
        default=None,
        gt=0,
        description="At most this much per person per calendar year across all programmes of the region,"
        " counting every application not rejected or cancelled",
    )
    accredited_providers_only: bool = Field(
        default=False, description="Pay only for courses of providers intake records as accredited"
    )
    attendance_threshold_pct: int = Field(default=80, ge=0, le=100)
    below_threshold: Literal["reject", "partial"] = "reject"
    quotas: dict[TargetGroup, int] = Field(
        default_factory=dict, description="Lottery only: percent of each category budget set aside per group"
    )
    weights: dict[TargetGroup, float] = Field(
        default_factory=dict, description="Lottery only: tickets per application of a group (default 1)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> CreateProgramme:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        if self.redeem_by <= self.closes_at:
            raise ValueError("redeem_by must be after closes_at")
        codes = [c.code for c in self.categories]
        if len(set(codes)) != len(codes):
            raise ValueError("category codes must be unique")
        total = sum(c.budget_cents for c in self.categories)
        if total != self.budget_cents:
            raise ValueError(f"the categories' budgets add up to {total} cents, not budget_cents {self.budget_cents}")
        if self.mode is not AllocationMode.LOTTERY and (self.quotas or self.weights):
            raise ValueError("quotas and weights only apply to lottery programmes (mode 'lottery')")
        if any(not 0 < q <= 100 for q in self.quotas.values()) or sum(self.quotas.values()) > 100:
            raise ValueError("each quota must be 1-100 percent and together at most 100")
        if any(not 0 < w <= 100 for w in self.weights.values()):
            raise ValueError("each weight must be above 0 and at most 100")
        return self


@dataclass(frozen=True)
class ProgrammeRules:
    """The parts of a programme that never change after creation (cached per process)."""

    id: uuid.UUID
    mode: AllocationMode
    opens_at: datetime
    closes_at: datetime
    redeem_by: datetime
    auto_approve: bool
    max_vouchers_per_person: int
    max_cents_per_person: int | None
    max_cents_per_person_per_year: int | None
    accredited_providers_only: bool
    attendance_threshold_pct: int
    below_threshold: str
    categories: Mapping[str, CategoryRule]


_RULES: dict[uuid.UUID, ProgrammeRules] = {}
_RULES_MAX = 1000


def known_rules(programme_id: uuid.UUID) -> ProgrammeRules | None:
    """A programme's rules if this process has read them already."""
    return _RULES.get(programme_id)


async def programme_rules(conn: Connection, programme_id: uuid.UUID) -> ProgrammeRules:
    """A programme's fixed rules; they never change, so they are read once per process."""
    cached = _RULES.get(programme_id)
    if cached is not None:
        return cached
    row = await db.get_programme(conn, programme_id)
    if row is None:
        raise NotFound(f"There is no programme {programme_id}; list them with GET /programmes.")
    categories = await db.get_categories(conn, programme_id)
    rules = ProgrammeRules(
        id=row["id"],
        mode=AllocationMode(row["mode"]),
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        redeem_by=row["redeem_by"],
        auto_approve=row["auto_approve"],
        max_vouchers_per_person=row["max_vouchers_per_person"],
        max_cents_per_person=row["max_cents_per_person"],
        max_cents_per_person_per_year=row["max_cents_per_person_per_year"],
        accredited_providers_only=row["accredited_providers_only"],
        attendance_threshold_pct=row["attendance_threshold_pct"],
        below_threshold=row["below_threshold"],
        categories={
            c["code"]: CategoryRule(c["code"], c["voucher_amount_cents"], frozenset(c["eligible_situations"]))
            for c in categories
        },
    )
    if len(_RULES) >= _RULES_MAX:
        _RULES.clear()
    _RULES[programme_id] = rules
    return rules


def category_rule(rules: ProgrammeRules, code: str) -> CategoryRule:
    rule = rules.categories.get(code)
    if rule is None:
        raise Unprocessable(
            f"The programme has no category {code!r}; choose one of: {', '.join(sorted(rules.categories))}."
        )
    return rule


async def create_programme(uow: UnitOfWork, cmd: CreateProgramme, *, actor: str) -> uuid.UUID:
    """Store a programme with its categories and opening budgets; publish the lottery seed's commitment."""
    programme_id = uuid.uuid4()
    seed = secrets.token_hex(16)
    commitment = lottery.seed_commitment(seed)
    # The rules as stored, and as published for other regions to copy.
    rules: dict[str, Any] = {
        "auto_approve": cmd.auto_approve,
        "max_vouchers_per_person": cmd.max_vouchers_per_person,
        "max_cents_per_person": cmd.max_cents_per_person,
        "max_cents_per_person_per_year": cmd.max_cents_per_person_per_year,
        "accredited_providers_only": cmd.accredited_providers_only,
        "attendance_threshold_pct": cmd.attendance_threshold_pct,
        "below_threshold": cmd.below_threshold,
        "quotas": {k.value: v for k, v in cmd.quotas.items()},
        "weights": {k.value: v for k, v in cmd.weights.items()},
    }
    await db.insert_programme(
        uow.conn,
        id=programme_id,
        region=uow.region,
        name=cmd.name,
        mode=cmd.mode.value,
        opens_at=cmd.opens_at,
        closes_at=cmd.closes_at,
        redeem_by=cmd.redeem_by,
        **rules,
        seed=seed,
        seed_commitment=commitment,
        created_by=actor,
    )
    for position, c in enumerate(cmd.categories):
        await db.insert_category(
            uow.conn,
            programme_id=programme_id,
            code=c.code,
            name=c.name,
            position=position,
            voucher_amount_cents=c.voucher_amount_cents,
            eligible_situations=[s.value for s in c.eligible_situations],
            budget_cents=c.budget_cents,
            actor=actor,
        )
    categories = [
        CategoryBudget(
            code=c.code,
            name=c.name,
            voucher_amount_cents=c.voucher_amount_cents,
            budget_cents=c.budget_cents,
            eligible_situations=[s.value for s in c.eligible_situations],
        )
        for c in cmd.categories
    ]
    design: dict[str, Any] = {
        "programme_id": programme_id,
        "name": cmd.name,
        "mode": cmd.mode,
        "opens_at": cmd.opens_at,
        "closes_at": cmd.closes_at,
        "redeem_by": cmd.redeem_by,
        "budget_cents": cmd.budget_cents,
        "categories": categories,
    }
    uow.emit(ProgrammeCreated(**design, seed_commitment=commitment), subject=str(programme_id))
    # For other regions: the programme's design, which they may copy (nothing about applicants).
    uow.emit(ProgrammePublished(**design, **rules), subject=str(programme_id))
    return programme_id


# ---------------------------------------------------------------- thresholds and waiting lists


async def announce_thresholds(uow: UnitOfWork, programme_id: uuid.UUID, category: str, money: db.Money) -> None:
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
    await db.set_alerted(uow.conn, programme_id, category, level)


async def announce_thresholds_now(uows: UnitOfWorkFactory, programme_id: uuid.UUID, category: str) -> None:
    """Announce thresholds in a transaction of their own (after the one-statement hot path)."""
    async with uows() as uow:
        money = await db.lock_category(uow.conn, programme_id, category)
        if money is not None:
            await announce_thresholds(uow, programme_id, category, money)
        await uow.commit()


def application_ref(row: Row) -> dict[str, Any]:
    return {
        "application_id": row["id"],
        "programme_id": row["programme_id"],
        "category": row["category"],
        "participant_id": row["participant_id"],
    }


def issue_voucher(uow: UnitOfWork, rules: ProgrammeRules, row: Row, voucher_id: uuid.UUID, by: str) -> None:
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


async def promote_waitlisted(uow: UnitOfWork, rules: ProgrammeRules, category: str, now: datetime) -> int:
    """Hand released money to the next eligible waiting applicants, in waiting-list order."""
    if now >= rules.redeem_by:
        return 0
    rule = rules.categories[category]
    promoted = 0
    while True:
        money = await db.lock_category(uow.conn, rules.id, category)
        if money is None or money.available_cents <= 0:
            break
        candidates = await db.waitlist_candidates(uow.conn, rules.id, category, money.available_cents)
        eligible = [c for c in candidates if c["situation"] in rule.eligible_situations]
        if not eligible:
            break
        progressed = False
        for c in eligible:
            amount = int(c["amount_cents"])
            reservation = db.MoneyMove(
                rules.id,
                category,
                "reserve",
                amount,
                c["id"],
                d_available=-amount,
                d_reserved=amount,
                need_available=amount,
                actor="waiting-list",
            )
            reserved = await db.move_money(uow.conn, reservation)
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
        await db.update_application(
            uow.conn, row["id"], status=Status.VOUCHER_ISSUED.value, reserved=True, voucher_id=voucher_id, issued_at=now
        )
        issue_voucher(uow, rules, row, voucher_id, "auto")
    else:
        await db.update_application(uow.conn, row["id"], status=Status.SUBMITTED.value, reserved=True)


async def _release(uow: UnitOfWork, row: Row, *, kind: str = "release", note: str | None, actor: str) -> int:
    """Give an application's reserved money back to its category; returns the cents released."""
    if not row["reserved"]:
        return 0
    amount = int(row["amount_cents"])
    release = db.MoneyMove(
        row["programme_id"],
        row["category"],
        kind,
        amount,
        row["id"],
        d_available=amount,
        d_reserved=-amount,
        note=note,
        actor=actor,
    )
    money = await db.move_money(uow.conn, release)
    assert money is not None
    return amount


# ---------------------------------------------------------------- decisions on applications


async def _locked(uow: UnitOfWork, application_id: uuid.UUID) -> asyncpg.Record:
    row = await db.get_application(uow.conn, application_id, lock=True)
    if row is None:
        raise NotFound(f"There is no application {application_id}.")
    return row


def expect_status(row: Row, allowed: Sequence[Status], doing: str) -> None:
    if Status(row["status"]) not in allowed:
        raise Conflict(
            f"Application {row['id']} is {row['status']}; it can only be {doing} when it is"
            f" {' or '.join(s.value for s in allowed)}."
        )


async def approve(uow: UnitOfWork, application_id: uuid.UUID, *, now: datetime) -> asyncpg.Record:
    """An officer approves an application whose money is reserved; the voucher is issued at once."""
    row = await _locked(uow, application_id)
    expect_status(row, [Status.SUBMITTED], "approved")
    if not row["reserved"]:
        raise Conflict(
            f"Application {application_id} has no money reserved yet; in a lottery programme it gets money at the"
            " draw after the window closes."
        )
    rules = await programme_rules(uow.conn, row["programme_id"])
    voucher_id = uuid.uuid4()
    updated = await db.update_application(
        uow.conn, application_id, status=Status.VOUCHER_ISSUED.value, voucher_id=voucher_id, issued_at=now
    )
    issue_voucher(uow, rules, updated, voucher_id, "officer")
    return updated


async def reject(
    uow: UnitOfWork, application_id: uuid.UUID, *, reason: RejectionReason, note: str | None, actor: str, now: datetime
) -> asyncpg.Record:
    """An officer rejects an application (with a reason); reserved money goes to the next in line."""
    row = await _locked(uow, application_id)
    expect_status(row, [Status.SUBMITTED, Status.WAITLISTED], "rejected")
    released = await _release(uow, row, note=f"rejected: {reason.value}", actor=actor)
    updated = await db.update_application(
        uow.conn, application_id, status=Status.REJECTED.value, reserved=False, reason=note or reason.value
    )
    await db.release_holding(uow.conn, row)
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
    row = await _locked(uow, application_id)
    expect_status(row, [Status.SUBMITTED, Status.WAITLISTED, Status.VOUCHER_ISSUED], "cancelled")
    released = await _release(uow, row, note="cancelled", actor=actor)
    updated = await db.update_application(uow.conn, application_id, status=Status.CANCELLED.value, reserved=False)
    await db.release_holding(uow.conn, row)
    uow.emit(
        ApplicationCancelled(**application_ref(row), cancelled_by=by_role, released_cents=released),
        subject=str(application_id),
    )
    if released:
        rules = await programme_rules(uow.conn, row["programme_id"])
        await promote_waitlisted(uow, rules, row["category"], now)
    return updated


async def expire(uow: UnitOfWork, row: Row, *, now: datetime) -> None:
    """Expire one locked voucher or waiting application after the redemption deadline; money goes back."""
    released = await _release(uow, row, note="expired", actor="deadline")
    await db.update_application(uow.conn, row["id"], status=Status.EXPIRED.value, reserved=False)
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
    rows = await db.due_for_expiry(uow.conn, programme_id)
    for row in rows:
        await expire(uow, row, now=now)
    return len(rows)
