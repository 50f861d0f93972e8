"""Events published by the matching service.

Matching owns opportunities (vacancies, BBL places, internships, hybrid-teacher posts), the
candidate profiles it builds from intake's events, and proposals. Its events carry ids and
codes only: opportunity, employer and proposal ids, the participant's pseudonymous id, reason
codes from fixed lists, scores and the weights version. Never a name, a title typed by a
person, an explanation text or a person's target group; a target group is named only in
region-wide figures (a plan's quotas, a fairness flag), which say nothing about anyone.

A proposal goes proposed → interested / declined → interview → placed → retained (3, 6, 12
months) or ended; or it is withdrawn or expires. While it is proposed, interested or at
interview it holds a place of its opportunity; ``placed`` turns the hold into a filled place
(the programme's "inflow"), the other endings release it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from shared.events.envelope import EventData, event_type

SERVICE = "matching"


class OpportunityKind(StrEnum):
    """What kind of place an opportunity is."""

    VACANCY = "vacancy"
    BBL = "bbl"
    INTERNSHIP = "internship"
    HYBRID_TEACHER = "hybrid_teacher"


class DeclineReason(StrEnum):
    """Why an employer (or the candidate) said no to a proposal."""

    SKILLS = "skills"
    EXPERIENCE = "experience"
    LANGUAGE = "language"
    HOURS = "hours"
    DISTANCE = "distance"
    PLACE_FILLED = "place_filled"
    CANDIDATE_DECLINED = "candidate_declined"
    OTHER = "other"


class WithdrawReason(StrEnum):
    """Why a proposal was withdrawn before an answer or a placement."""

    CANDIDATE_WITHDREW = "candidate_withdrew"
    COACH_WITHDREW = "coach_withdrew"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    PARTICIPANT_ERASED = "participant_erased"
    OPPORTUNITY_CLOSED = "opportunity_closed"


class EndReason(StrEnum):
    """Why a placement ended."""

    CONTRACT_ENDED = "contract_ended"
    CANDIDATE_LEFT = "candidate_left"
    EMPLOYER_ENDED = "employer_ended"
    COMPLETED_TRAINING = "completed_training"
    OTHER = "other"


class StaleReason(StrEnum):
    """Why an opportunity left the suggestions without being closed."""

    NOT_CONFIRMED = "not_confirmed"


class OpportunityRef(EventData):
    """What every opportunity event says about the opportunity."""

    opportunity_id: uuid.UUID
    employer_id: uuid.UUID
    kind: OpportunityKind


@event_type(SERVICE, "opportunity.published", 1, "An opportunity was opened for matching")
class OpportunityPublished(OpportunityRef):
    """A new opportunity with its occupation, qualification and capacity."""

    occupation: str = Field(description="Occupation id from matching's vocabulary")
    crebo: str | None = Field(default=None, description="The qualification of a BBL place or internship")
    postcode_area: str = Field(description="Area key, e.g. NL-6811 or DE-47533")
    places_total: int = Field(ge=1)
    open_until: date
    created_by_role: str = Field(description="The role that created it: employer, coach, programme_officer, admin")


@event_type(SERVICE, "opportunity.updated", 1, "An opportunity's details or capacity changed")
class OpportunityUpdated(OpportunityRef):
    """The fields that changed (names only) and the capacity after the change."""

    changed_fields: list[str]
    places_total: int = Field(ge=1)
    open_until: date


@event_type(SERVICE, "opportunity.closed", 1, "An opportunity was closed")
class OpportunityClosed(OpportunityRef):
    """No more suggestions or proposals for it; open proposals were withdrawn."""

    places_filled: int = Field(ge=0)


@event_type(SERVICE, "opportunity.confirmation_requested", 1, "An opportunity's owner is asked: still open?")
class OpportunityConfirmationRequested(OpportunityRef):
    """Not confirmed for a while; it leaves the suggestions unless confirmed by ``confirm_by``."""

    last_confirmed_at: datetime
    confirm_by: datetime


@event_type(SERVICE, "opportunity.went_stale", 1, "An unconfirmed opportunity left the suggestions")
class OpportunityWentStale(OpportunityRef):
    """Nobody confirmed it in time; confirming it brings it back."""

    reason: StaleReason
    last_confirmed_at: datetime


@event_type(SERVICE, "opportunity.confirmed", 1, "An opportunity's owner confirmed it is still open")
class OpportunityConfirmed(OpportunityRef):
    """Confirmed (a stale one is back in the suggestions)."""


class ProposalRef(EventData):
    """What every proposal event says about the proposal."""

    proposal_id: uuid.UUID
    opportunity_id: uuid.UUID
    employer_id: uuid.UUID
    participant_id: uuid.UUID
    by_role: str = Field(description="The role that took this step")


@event_type(SERVICE, "proposal.made", 1, "A candidate was proposed for an opportunity")
class ProposalMade(ProposalRef):
    """A place is held for the candidate until ``hold_until``."""

    coach_id: str | None = None
    score: float
    weights_version: str
    hold_until: datetime


@event_type(SERVICE, "proposal.interested", 1, "The employer is interested in a proposed candidate")
class ProposalInterested(ProposalRef):
    """The hold is renewed until ``hold_until``."""

    hold_until: datetime


@event_type(SERVICE, "proposal.declined", 1, "A proposal was declined")
class ProposalDeclined(ProposalRef):
    """Declined with a reason code; the held place is free again."""

    reason: DeclineReason


@event_type(SERVICE, "proposal.interview_planned", 1, "An interview was planned for a proposal")
class ProposalInterviewPlanned(ProposalRef):
    """The hold is renewed until ``hold_until``."""

    hold_until: datetime


@event_type(SERVICE, "proposal.placed", 1, "A proposed candidate started at the employer")
class ProposalPlaced(ProposalRef):
    """The held place is filled: a placement, the programme's inflow."""

    kind: OpportunityKind
    days_since_proposed: int = Field(ge=0)


@event_type(SERVICE, "proposal.retained", 1, "A placed candidate is still there after 3, 6 or 12 months")
class ProposalRetained(ProposalRef):
    """Retention milestone."""

    months: int = Field(description="3, 6 or 12")


@event_type(SERVICE, "proposal.ended", 1, "A placement ended")
class ProposalEnded(ProposalRef):
    """Ended with a reason code; the filled place is free again."""

    reason: EndReason


@event_type(SERVICE, "proposal.withdrawn", 1, "A proposal was withdrawn")
class ProposalWithdrawn(ProposalRef):
    """Withdrawn before a placement; the held place is free again."""

    reason: WithdrawReason


@event_type(SERVICE, "proposal.expired", 1, "A proposal's hold ran out without an answer")
class ProposalExpired(ProposalRef):
    """The hold ran out; the place is free again."""

    held_since: datetime


@event_type(SERVICE, "saved_search.matched", 1, "An opening opportunity fits a coach's saved search")
class SavedSearchMatched(OpportunityRef):
    """A newly published opportunity passes a saved search; tells its owner (a coach's account)."""

    search_id: uuid.UUID
    coach_id: str = Field(description="The account that saved the search")
    participant_id: uuid.UUID | None = Field(
        default=None, description="The candidate the search was saved for, if any (every filter passes)"
    )
    occupation: str = Field(description="Occupation id from matching's vocabulary")


@event_type(SERVICE, "plan.made", 1, "A region plan was made (nightly, or on a programme officer's request)")
class PlanMade(EventData):
    """Counts only: the plan itself, with its assignments, is read from matching (GET /plans/latest)."""

    plan_id: uuid.UUID
    night: date | None = Field(default=None, description="The region's date of a nightly plan")
    candidates: int = Field(ge=0)
    places: int = Field(ge=0, description="Free places of every open opportunity")
    assigned: int = Field(ge=0)
    unassigned: int = Field(ge=0)
    total_score: float
    weights_version: str
    quotas_wanted: dict[str, int] = Field(default_factory=dict, description="Target group → places its quota asks")
    quotas_met: dict[str, int] = Field(default_factory=dict, description="Target group → assignments meeting it")


@event_type(SERVICE, "fairness.flagged", 1, "A target group's outcomes fell below four-fifths of the rest's")
class FairnessFlagged(EventData):
    """Said at most once per group and period (a calendar month in the region); a group of fewer than ten
    people is never reported."""

    group: str = Field(description="A target group, or two joined by '+'")
    period: str = Field(description="The month it was first seen in, e.g. 2026-05")
    people: int = Field(ge=10)
    metrics: list[str] = Field(description="The figures whose ratio to the rest is below the threshold")
    ratios: dict[str, float] = Field(description="Each flagged figure's ratio to the rest")
    flag_below: float
