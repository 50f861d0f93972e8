"""Events published by the vouchers service.

Vouchers owns programmes (regelingen), their category budgets, applications, vouchers,
redemptions and the ledger. Its events carry pseudonymous ids (participant, application,
voucher, course, provider, employer) and money in integer euro cents; never names, free text
typed by people (rejection notes, budget-change reasons stay in the service) or target groups
of a single person.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import Field

from shared.events.envelope import EventData, event_type

SERVICE = "vouchers"


class AllocationMode(StrEnum):
    """How a programme hands out its money."""

    FIRST_COME_FIRST_SERVED = "fcfs"
    LOTTERY = "lottery"


class SubmittedBy(StrEnum):
    """Who filed an application: the participant, their coach, or an employer for an employee."""

    PARTICIPANT = "participant"
    COACH = "coach"
    EMPLOYER = "employer"


class RejectionReason(StrEnum):
    """Why an application was rejected (the officer's note stays in the service)."""

    NOT_ELIGIBLE = "not_eligible"
    INCOMPLETE = "incomplete"
    DEADWEIGHT = "deadweight"
    COURSE_NOT_ACCEPTED = "course_not_accepted"
    OTHER = "other"


class CategoryBudget(EventData):
    """One category of a programme as announced."""

    code: str
    name: str
    voucher_amount_cents: int = Field(gt=0)
    budget_cents: int = Field(ge=0)
    eligible_situations: list[str]


class ProgrammeDesign(EventData):
    """A programme's window, budget and categories (what its events have in common)."""

    programme_id: uuid.UUID
    name: str
    mode: AllocationMode
    opens_at: datetime
    closes_at: datetime
    redeem_by: datetime
    budget_cents: int = Field(ge=0)
    categories: list[CategoryBudget]


@event_type(SERVICE, "programme.created", 1, "A voucher programme was set up")
class ProgrammeCreated(ProgrammeDesign):
    """A programme with its window, categories and, for a lottery, the commitment to its seed."""

    seed_commitment: str = Field(description="sha256 of the lottery seed, published before anyone applies")


@event_type(SERVICE, "budget.changed", 1, "A category budget was raised, lowered or moved")
class BudgetChanged(EventData):
    """A programme officer changed a category's budget; the reason is kept in the ledger."""

    programme_id: uuid.UUID
    category: str
    delta_cents: int
    budget_after_cents: int = Field(ge=0)
    available_after_cents: int = Field(ge=0)
    moved_with: str | None = Field(default=None, description="The other category of a move")


@event_type(SERVICE, "budget.threshold_passed", 1, "A category used 80%, 90% or 100% of its budget")
class BudgetThresholdPassed(EventData):
    """Burn-down alert; 100% means the category cannot fund another full voucher ("nagenoeg op")."""

    programme_id: uuid.UUID
    category: str
    threshold_pct: int = Field(description="80, 90 or 100")
    used_pct: int
    available_cents: int = Field(ge=0)
    budget_cents: int = Field(ge=0)


class ApplicationRef(EventData):
    """What every application event says about the application."""

    application_id: uuid.UUID
    programme_id: uuid.UUID
    category: str
    participant_id: uuid.UUID


@event_type(SERVICE, "application.submitted", 1, "An application for a voucher was filed")
class ApplicationSubmitted(ApplicationRef):
    """Filed by the participant, their coach or an employer; ``reserved`` when money was set aside."""

    course_id: uuid.UUID
    provider_id: uuid.UUID
    amount_cents: int = Field(gt=0)
    submitted_by: SubmittedBy
    employer_id: uuid.UUID | None = None
    coach_id: str | None = None
    reserved: bool


@event_type(SERVICE, "application.waitlisted", 1, "An application is on the waiting list")
class ApplicationWaitlisted(ApplicationRef):
    """No money for now; it moves up when a voucher is cancelled, expires or the budget grows."""

    draw_rank: int | None = Field(default=None, description="Place in the lottery draw, if drawn")


@event_type(SERVICE, "application.promoted", 1, "A waiting application got money")
class ApplicationPromoted(ApplicationRef):
    """Money released elsewhere (or a lottery draw) reserved this application's amount."""

    amount_cents: int = Field(gt=0)


@event_type(SERVICE, "application.approved", 1, "An application was approved")
class ApplicationApproved(ApplicationRef):
    """Approved; a voucher is issued at once."""

    approved_by: str = Field(description="'auto' or 'officer'")


@event_type(SERVICE, "application.rejected", 1, "An application was rejected")
class ApplicationRejected(ApplicationRef):
    """Rejected with a reason; any reserved money went back to the category."""

    reason: RejectionReason
    released_cents: int = Field(ge=0)


@event_type(SERVICE, "application.cancelled", 1, "An application or voucher was cancelled")
class ApplicationCancelled(ApplicationRef):
    """Withdrawn by the applicant or an officer; any reserved money went back."""

    cancelled_by: str = Field(description="The role that cancelled")
    released_cents: int = Field(ge=0)


@event_type(SERVICE, "voucher.issued", 1, "A voucher was issued")
class VoucherIssued(ApplicationRef):
    """A voucher for one participant and one course, valid until the programme's redemption deadline."""

    voucher_id: uuid.UUID
    course_id: uuid.UUID
    provider_id: uuid.UUID
    amount_cents: int = Field(gt=0)
    redeem_by: datetime


@event_type(SERVICE, "voucher.redeemed", 1, "A provider's claim on a voucher was accepted")
class VoucherRedeemed(ApplicationRef):
    """Claimed after the course; partial when attendance was below the threshold."""

    voucher_id: uuid.UUID
    provider_id: uuid.UUID
    attendance_pct: int = Field(ge=0, le=100)
    completed: bool
    paid_cents: int = Field(ge=0)
    released_cents: int = Field(ge=0)
    partial: bool


@event_type(SERVICE, "voucher.claim_rejected", 1, "A provider's claim on a voucher was rejected")
class VoucherClaimRejected(ApplicationRef):
    """Attendance below the programme's threshold; the money went back to the category."""

    voucher_id: uuid.UUID
    provider_id: uuid.UUID
    attendance_pct: int = Field(ge=0, le=100)
    completed: bool
    released_cents: int = Field(ge=0)


@event_type(SERVICE, "voucher.settled", 1, "A redeemed voucher was paid to the provider")
class VoucherSettled(ApplicationRef):
    """Payment made."""

    voucher_id: uuid.UUID
    provider_id: uuid.UUID
    paid_cents: int = Field(ge=0)


@event_type(SERVICE, "voucher.clawed_back", 1, "Money paid for a voucher was clawed back")
class VoucherClawedBack(ApplicationRef):
    """The attendance evidence was withdrawn; the amount returns to the category."""

    voucher_id: uuid.UUID
    provider_id: uuid.UUID
    amount_cents: int = Field(ge=0)
    was_settled: bool


@event_type(SERVICE, "voucher.expired", 1, "A voucher expired unredeemed")
class VoucherExpired(ApplicationRef):
    """Not claimed before the redemption deadline; the money went back."""

    voucher_id: uuid.UUID
    released_cents: int = Field(ge=0)


@event_type(SERVICE, "draw.published", 1, "The lottery of a programme was drawn")
class DrawPublished(EventData):
    """Everything needed to re-run the draw: the seed (its sha256 was published at creation),
    the algorithm and the ordered outcome. The inputs are at ``GET /programmes/{id}/draw``."""

    programme_id: uuid.UUID
    seed: str
    seed_commitment: str
    algorithm: str
    inputs_digest: str = Field(description="sha256 of the canonical input list")
    order: list[uuid.UUID] = Field(description="Application ids in drawn order")
    funded: list[uuid.UUID] = Field(description="Application ids that got money at the draw")


# ---------------------------------------------------------------- shared with other regions
#
# Other provinces learn from a region's programmes and copy what works. These events go to the
# SHARED stream, which other regions source through federation. They describe programmes and
# aggregates only: no application, person, employer or provider ids, and every count of one to
# four people is left out (null), so that nobody can be singled out.


@event_type(
    SERVICE, "programme.published", 1, "A programme's design, for other regions to learn from and copy", shared=True
)
class ProgrammePublished(ProgrammeDesign):
    """Everything another region needs to set up the same programme; nothing about applicants."""

    auto_approve: bool
    max_vouchers_per_person: int = Field(ge=1)
    max_cents_per_person: int | None = None
    max_cents_per_person_per_year: int | None = None
    accredited_providers_only: bool = Field(default=False, description="Only courses of accredited providers")
    attendance_threshold_pct: int = Field(ge=0, le=100)
    below_threshold: str = Field(description="'reject' or 'partial': what a claim below the threshold gets")
    quotas: dict[str, int] = Field(description="Lottery: percent of each category budget per target group")
    weights: dict[str, float] = Field(description="Lottery: tickets per application of a target group")


class CategoryOutcome(EventData):
    """One category's budget and, wherever at least five different people are behind a figure, its results.

    Every other figure is null: one to four people behind a number say something about them.
    """

    code: str
    budget_cents: int = Field(ge=0)
    available_cents: int | None = Field(ge=0, description="null when one to four people applied")
    reserved_cents: int | None = Field(ge=0, description="null when one to four people applied")
    redeemed_cents: int | None = Field(ge=0, description="null when one to four people applied")
    settled_cents: int | None = Field(ge=0, description="null when one to four people applied")
    applications: int | None = Field(description="null when one to four people applied")
    vouchers_issued: int | None = Field(description="null when one to four people hold them")
    vouchers_redeemed: int | None = Field(description="null when one to four people redeemed")
    employer_submitted_pct: float | None = Field(
        description="null when it would give away a count of one to four people (or nobody applied)"
    )
    by_target_group: dict[str, int | None] = Field(
        description="People per declared target group; null when one to four"
    )


@event_type(
    SERVICE,
    "programme.outcomes_reported",
    1,
    "A programme's results so far, aggregated, for other regions",
    shared=True,
)
class ProgrammeOutcomesReported(EventData):
    """Published by a programme officer's decision (``POST /programmes/{id}/outcomes``)."""

    programme_id: uuid.UUID
    as_of: datetime
    categories: list[CategoryOutcome]
