"""What the matching API answers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

from services.matching.db.proposals import explanation_of
from services.matching.domain import Evaluation


class OpportunityOut(BaseModel):
    """An opportunity with its capacity and whether it is still in the suggestions."""

    id: uuid.UUID
    employer_id: uuid.UUID
    kind: str
    title: str
    occupation: str
    essential_skills: list[str]
    optional_skills: list[str]
    hours: int
    start_date: dt.date
    country: str
    postcode: str
    open_until: dt.date
    places_total: int
    places_held: int
    places_filled: int
    places_left: int
    crebo: str | None
    recognised: bool
    recognition_checked_on: dt.date | None
    partner_school: str | None
    language_required: str | None
    status: str = Field(description="open, stale (left the suggestions: not confirmed) or closed")
    status_reason: str | None = Field(description="Why it is not in the suggestions, in words, for its owner")
    last_confirmed_at: dt.datetime
    confirmation_requested_at: dt.datetime | None
    stale_since: dt.datetime | None
    closed_at: dt.datetime | None
    created_at: dt.datetime


def opportunity_out(row: Any) -> OpportunityOut:
    """An opportunity row as the API shows it."""
    if row["closed_at"] is not None:
        status, reason = "closed", "closed by its owner"
    elif row["stale_since"] is not None:
        status = "stale"
        reason = (
            f"not confirmed since {row['last_confirmed_at'].date().isoformat()} and no answer to 'still open?';"
            " confirm it (POST /opportunities/{id}/confirm) to bring it back into the suggestions"
        )
    else:
        status, reason = "open", None
    return OpportunityOut(
        **{k: row[k] for k in OpportunityOut.model_fields if k not in ("places_left", "status", "status_reason")},
        places_left=row["places_total"] - row["places_held"] - row["places_filled"],
        status=status,
        status_reason=reason,
    )


class CandidateOut(BaseModel):
    """A candidate as their coach sees them: intake's profile and what the coach added. No target groups."""

    participant_id: uuid.UUID
    coach_id: str | None
    situation: str
    postcode_area: str | None
    education_level: str | None
    skills: list[str]
    desired_occupations: list[str]
    trajectory_status: str
    matching_consent: bool
    hours_min: int
    hours_max: int
    available_from: dt.date | None
    travel_radius_km: int
    driving_licence: bool | None
    language_level: str | None
    preferred_kinds: list[str]


def candidate_out(row: Any) -> CandidateOut:
    return CandidateOut(**{k: row[k] for k in CandidateOut.model_fields})


class ProfileOut(BaseModel):
    """A candidate as an employer may see them: skills, availability, distance and qualification.

    ``participant_id`` is shown only when the participant shares their profile with this employer
    (an employee, or consent to share); never a name or contact details.
    """

    participant_id: uuid.UUID | None
    skills: list[str]
    desired_occupations: list[str]
    education_level: str | None
    hours_min: int
    hours_max: int
    available_from: dt.date | None
    language_level: str | None
    driving_licence: bool | None


def profile_out(row: Any, *, shared: bool) -> ProfileOut:
    return ProfileOut(
        **{k: row[k] for k in ProfileOut.model_fields if k != "participant_id"},
        participant_id=row["participant_id"] if shared else None,
    )


class PartOut(BaseModel):
    """One part of the additive score."""

    name: str
    points: float


class Match(BaseModel):
    """Why a pair scores as it does: the parts, their total, and the same in words."""

    score: float
    parts: list[PartOut]
    distance_km: float | None
    distance_approximate: bool
    explanation: str = Field(description="In the reader's language")


class NearMiss(BaseModel):
    """A high scorer that failed exactly one filter, and which."""

    score: float
    filter: str
    why_not: str = Field(description="In the reader's language")


def match_fields(e: Evaluation, explanation: str) -> dict[str, Any]:
    km = e.facts.distance.km
    return {
        "score": e.score,
        "parts": [PartOut(name=p.name, points=round(p.points, 2)) for p in e.parts],
        "distance_km": None if km is None else round(km, 1),
        "distance_approximate": e.facts.distance.approximate,
        "explanation": explanation,
    }


class OpportunityBrief(BaseModel):
    opportunity_id: uuid.UUID
    employer_id: uuid.UUID
    kind: str
    title: str
    occupation: str


class SuggestedOpportunity(OpportunityBrief, Match):
    """An opportunity suggested for a candidate."""


class MissedOpportunity(OpportunityBrief, NearMiss):
    """An opportunity that nearly made it."""


class SuggestionsForCandidate(BaseModel):
    participant_id: uuid.UUID
    language: str
    weights_version: str
    suggestions: list[SuggestedOpportunity]
    near_misses: list[MissedOpportunity]


class SuggestedCandidate(Match):
    """A candidate suggested for an opportunity, as the reader may see them."""

    candidate: ProfileOut


class MissedCandidate(NearMiss):
    candidate: ProfileOut


class SuggestionsForOpportunity(BaseModel):
    opportunity_id: uuid.UUID
    language: str
    weights_version: str
    suggestions: list[SuggestedCandidate]
    near_misses: list[MissedCandidate]


class StepOut(BaseModel):
    status: str
    reason: str | None
    by_role: str
    at: dt.datetime


class ProposalOut(BaseModel):
    """A proposal; ``participant_id`` is null for an employer the participant does not share their profile with."""

    id: uuid.UUID
    opportunity_id: uuid.UUID
    employer_id: uuid.UUID
    participant_id: uuid.UUID | None
    status: str
    holds_place: bool
    hold_until: dt.datetime | None
    reason: str | None
    retained_months: int | None
    score: float
    weights_version: str
    explanation: str = Field(description="As made with weights_version, in the reader's language")
    created_at: dt.datetime
    placed_at: dt.datetime | None
    candidate: ProfileOut | None = Field(description="The candidate as the reader may see them; null once erased")
    steps: list[StepOut]


def proposal_out(row: Any, *, language: str, shared: bool, candidate: Any | None, steps: list[Any]) -> ProposalOut:
    return ProposalOut(
        **{
            k: row[k]
            for k in ProposalOut.model_fields
            if k not in ("participant_id", "score", "explanation", "candidate", "steps")
        },
        participant_id=row["participant_id"] if shared else None,
        score=float(row["score"]),
        explanation=explanation_of(row)[language],
        candidate=None if candidate is None else profile_out(candidate, shared=shared),
        steps=[StepOut(**dict(s)) for s in steps],
    )


class OwnProposalOut(BaseModel):
    """A proposal as the candidate sees it: the place, whom it is with, where it stands and until when.

    No score, explanation, steps or coach: those are the coach's working material.
    """

    id: uuid.UUID
    opportunity_id: uuid.UUID
    title: str
    kind: str = Field(description="vacancy, bbl, internship or hybrid_teacher")
    hours: int = Field(description="Hours a week")
    start_date: dt.date
    country: str
    postcode: str
    employer_name: str | None = Field(description="Null while matching has not yet heard the employer's name")
    status: str = Field(
        description="proposed, interested, interview, placed, retained, declined, withdrawn, expired or ended"
    )
    hold_until: dt.datetime | None = Field(
        description="While the employer has not decided: when the proposal lapses unless it moves on"
    )
    proposed_at: dt.datetime
    status_since: dt.datetime = Field(description="When it reached its status (an answer, a placement, …)")
