"""What the vouchers API takes and answers, beyond the commands in :mod:`services.vouchers.handlers.commands`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from services.vouchers.access import DECIDERS
from services.vouchers.domain import MAX_CATEGORY_BUDGET_CENTS, threshold_level, used_pct
from shared.auth import Principal
from shared.events.contracts.vouchers import RejectionReason


class CategoryOut(BaseModel):
    """A category with its rules and balances."""

    code: str
    name: str
    voucher_amount_cents: int
    eligible_situations: list[str]
    budget_cents: int
    available_cents: int
    reserved_cents: int
    redeemed_cents: int
    settled_cents: int
    used_pct: int
    threshold_pct: int = Field(description="Highest of 80/90/100 passed; 100 = cannot fund another full voucher")


class ProgrammeOut(BaseModel):
    """A programme, its rules and its categories."""

    id: uuid.UUID
    name: str
    mode: str
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
    quotas: dict[str, int]
    weights: dict[str, float]
    seed_commitment: str = Field(description="sha256 of the lottery seed; the seed is revealed at the draw")
    drawn_at: datetime | None
    budget_cents: int
    categories: list[CategoryOut]


class CourseOut(BaseModel):
    """A course of the region's catalogue: what a voucher can pay for."""

    id: uuid.UUID
    provider_id: uuid.UUID
    title: str
    price_cents: int


class ApplicationOut(BaseModel):
    """An application and, once issued, its voucher."""

    id: uuid.UUID
    programme_id: uuid.UUID
    category: str
    participant_id: uuid.UUID
    course_id: uuid.UUID
    provider_id: uuid.UUID
    amount_cents: int
    submitted_by_role: str
    employer_id: uuid.UUID | None
    status: str
    reserved: bool
    voucher_id: uuid.UUID | None
    draw_rank: int | None
    reason: str | None = Field(description="A rejection's code (RejectionReason); null for any other status")
    officer_note: str | None = Field(
        description="The officer's note on a rejection or clawback: shown to programme officers and administrators"
        " only (null for everyone else), cleared when the participant is erased"
    )
    paid_cents: int
    submitted_at: datetime


def category_out(row: Any) -> CategoryOut:
    """A stored category as the API shows it."""
    return CategoryOut(
        code=row["code"],
        name=row["name"],
        voucher_amount_cents=row["voucher_amount_cents"],
        eligible_situations=list(row["eligible_situations"]),
        budget_cents=row["budget_cents"],
        available_cents=row["available_cents"],
        reserved_cents=row["reserved_cents"],
        redeemed_cents=row["redeemed_cents"],
        settled_cents=row["settled_cents"],
        used_pct=used_pct(row["budget_cents"], row["available_cents"]),
        threshold_pct=threshold_level(row["budget_cents"], row["available_cents"], row["voucher_amount_cents"]),
    )


def application_out(row: Any, viewer: Principal) -> ApplicationOut:
    """A stored application (or the view the filing builds) as the API shows it to ``viewer``: the officer's note
    only to those who decide."""
    shown = {k: row[k] for k in ApplicationOut.model_fields if k != "officer_note"}
    return ApplicationOut(**shown, officer_note=row["officer_note"] if viewer.has(*DECIDERS) else None)


class BudgetChangeIn(BaseModel):
    """Raise or lower one category's budget."""

    category: str
    delta_cents: int = Field(
        ge=-MAX_CATEGORY_BUDGET_CENTS,
        le=MAX_CATEGORY_BUDGET_CENTS,
        description="Positive raises, negative lowers (at most what is available); not 0",
    )
    reason: str = Field(min_length=3, max_length=500, description="Why; kept in the ledger")

    @field_validator("delta_cents")
    @classmethod
    def _changes_something(cls, delta: int) -> int:
        if delta == 0:
            raise ValueError("a change of 0 cents changes nothing; send how much to raise (+) or lower (-)")
        return delta


class BudgetMoveIn(BaseModel):
    """Move available money between categories."""

    from_category: str
    to_category: str
    amount_cents: int = Field(gt=0, le=MAX_CATEGORY_BUDGET_CENTS)
    reason: str = Field(min_length=3, max_length=500)


class BurnDownPoint(BaseModel):
    """A category's balance at the end of a time bucket."""

    at: datetime
    budget_cents: int
    available_cents: int
    used_pct: int


class BurnDown(BaseModel):
    """Per category: balances now and how they fell over time."""

    categories: list[CategoryOut]
    series: dict[str, list[BurnDownPoint]]


class RejectIn(BaseModel):
    """Why an application is rejected."""

    reason: RejectionReason
    note: str | None = Field(
        default=None,
        max_length=1000,
        description="The officer's own words, kept apart from the reason: shown only to programme officers and"
        " administrators, never in events, cleared when the participant is erased",
    )


class RedemptionIn(BaseModel):
    """A provider's claim after the course."""

    attendance_pct: int = Field(ge=0, le=100, description="Share of the course the participant attended")
    completed: bool = Field(description="Whether the participant completed the course")


class ClawbackIn(BaseModel):
    """Why money is clawed back."""

    reason: str = Field(
        min_length=3,
        max_length=500,
        description="e.g. 'attendance list withdrawn'; kept in the ledger and as the voucher's officer_note",
    )
