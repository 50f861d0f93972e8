"""The commands handlers accept: what it takes to set up a programme and to apply for a voucher."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, model_validator

from services.vouchers.domain import MAX_CATEGORY_BUDGET_CENTS, MAX_PROGRAMME_BUDGET_CENTS
from shared.events.contracts.intake import Situation, TargetGroup
from shared.events.contracts.vouchers import AllocationMode


def _exists_in_utc(moment: datetime) -> datetime:
    """``moment`` when it has a UTC time: year 1 at +14:00 or 9999 at -14:00 has none, and cannot be stored."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("this moment falls outside the years 1 to 9999 in UTC; send a real date") from None
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_exists_in_utc)]


class CategoryIn(BaseModel):
    """One category of a new programme."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$", description="Short code, e.g. werk_in_techniek")
    name: str = Field(min_length=1, max_length=200, description="e.g. 'Ik werk in de techniek'")
    voucher_amount_cents: int = Field(gt=0, le=10_000_000, description="The most one voucher may be")
    budget_cents: int = Field(ge=0, le=MAX_CATEGORY_BUDGET_CENTS, description="This category's share of the budget")
    eligible_situations: list[Situation] = Field(min_length=1, description="Who may apply in this category")


class CreateProgramme(BaseModel):
    """What it takes to set up a voucher programme."""

    name: str = Field(min_length=1, max_length=200)
    mode: AllocationMode = AllocationMode.FIRST_COME_FIRST_SERVED
    opens_at: Moment
    closes_at: Moment
    redeem_by: Moment = Field(description="Providers must claim vouchers before this moment")
    budget_cents: int = Field(
        ge=0, le=MAX_PROGRAMME_BUDGET_CENTS, description="Total budget; must equal the sum of the categories"
    )
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


class ApplyCommand(BaseModel):
    """An application for a voucher."""

    participant_id: uuid.UUID | None = Field(
        default=None, description="Whose voucher; a participant applying for themselves may leave it out"
    )
    category: str = Field(min_length=1, max_length=40)
    course_id: uuid.UUID = Field(description="The provider's course the voucher pays for")
    amount_cents: int | None = Field(
        default=None, gt=0, description="Defaults to the course price, capped at the category's voucher amount"
    )
