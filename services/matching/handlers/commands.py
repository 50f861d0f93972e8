"""The commands handlers accept: opportunities, what a coach adds to a profile, proposals and their steps."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from services.matching import geo
from services.matching.vocabulary import load
from shared.events.contracts.intake import TargetGroup
from shared.events.contracts.matching import DeclineReason, EndReason, OpportunityKind

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
Level = Literal["A1", "A2", "B1", "B2", "C1", "C2"]


def _plausible(day: dt.date) -> dt.date:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"give a date between {EARLIEST} and {LATEST}")
    return day


def _occupation(key: str) -> str:
    if key not in load().occupations:
        raise ValueError(f"{key!r} is not an occupation of the vocabulary (GET /vocabulary lists them)")
    return key


def _skills(keys: list[str]) -> list[str]:
    unknown = [k for k in keys if k not in load().skills]
    if unknown:
        raise ValueError(f"not skills of the vocabulary (GET /vocabulary lists them): {', '.join(unknown[:5])}")
    if len(set(keys)) != len(keys):
        raise ValueError("a skill is named twice")
    return keys


Day = Annotated[dt.date, AfterValidator(_plausible)]
OccupationId = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_occupation)]
SkillIds = Annotated[list[Annotated[str, Field(max_length=80)]], Field(max_length=40), AfterValidator(_skills)]
Crebo = Annotated[str, Field(pattern=r"^\d{5}$", description="Qualification code (crebo), five digits")]
Country = Literal["NL", "DE"]
Postcode = Annotated[
    str, Field(min_length=4, max_length=7, description="A Dutch postcode (1234 or 1234 AB) or German PLZ")
]


def check_place(country: str, postcode: str) -> str:
    """The area key of a postcode the shipped coordinates know; ValueError otherwise."""
    code = postcode.replace(" ", "").upper()
    shaped = (
        len(code) in (4, 6) and code[:4].isdigit() and (len(code) == 4 or code[4:].isalpha())
        if country == "NL"
        else len(code) == 5 and code.isdigit()
    )
    key = geo.area_key(country, code)
    if not shaped or key not in geo.points():
        raise ValueError(f"{postcode!r} is not a known {country} postcode area")
    return key


class OpportunityFields(BaseModel):
    """What every opportunity says; on an update each is optional."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    occupation: OccupationId | None = None
    essential_skills: SkillIds | None = Field(
        default=None, description="Skills the place needs; the occupation's essential skills if left out"
    )
    optional_skills: SkillIds | None = Field(
        default=None, description="Skills that help; the occupation's optional skills if left out"
    )
    hours: int | None = Field(default=None, ge=1, le=60, description="Hours a week")
    start_date: Day | None = None
    country: Country | None = None
    postcode: Postcode | None = None
    open_until: Day | None = None
    places_total: int | None = Field(default=None, ge=1, le=1000)
    crebo: Crebo | None = None
    recognised: bool | None = Field(
        default=None, description="The employer is a recognised learning company (erkend leerbedrijf) for the crebo"
    )
    recognition_checked_on: Day | None = Field(default=None, description="When the recognition was checked")
    partner_school: str | None = Field(default=None, min_length=1, max_length=200)
    language_required: Level | None = Field(default=None, description="Dutch (or German) level asked, CEFR")


class CreateOpportunity(OpportunityFields):
    """A new vacancy, BBL place, internship or hybrid-teacher post."""

    employer_id: uuid.UUID | None = Field(
        default=None, description="The owner; an employer's own account leaves it out, staff must name it"
    )
    kind: OpportunityKind
    title: str = Field(min_length=1, max_length=200)
    occupation: OccupationId
    hours: int = Field(ge=1, le=60, description="Hours a week")
    start_date: Day
    country: Country = "NL"
    postcode: Postcode
    open_until: Day
    places_total: int = Field(default=1, ge=1, le=1000)
    recognised: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> CreateOpportunity:
        check_opportunity(self.kind, self.crebo, self.recognised, self.recognition_checked_on)
        check_place(self.country, self.postcode)
        return self


class UpdateOpportunity(OpportunityFields):
    """Changes to an opportunity; what is left out stays. A change confirms the opportunity is still open."""


def check_opportunity(kind: str, crebo: str | None, recognised: bool, checked_on: dt.date | None) -> None:
    """A BBL place or internship names its qualification; a recognition says when it was checked."""
    if kind in (OpportunityKind.BBL, OpportunityKind.INTERNSHIP) and crebo is None:
        raise ValueError("a BBL place or internship needs the qualification it trains for (crebo)")
    if recognised and checked_on is None:
        raise ValueError("say when the recognition was checked (recognition_checked_on)")


class CandidateAdditions(BaseModel):
    """What a coach adds to a candidate's profile; what is left out stays, null clears."""

    hours_min: int | None = Field(default=None, ge=0, le=60)
    hours_max: int | None = Field(default=None, ge=1, le=60)
    available_from: Day | None = Field(default=None, description="Free to start from this day; null: now")
    travel_radius_km: int | None = Field(default=None, ge=1, le=300)
    driving_licence: bool | None = None
    language_level: Level | None = Field(default=None, description="Dutch (or German) level, CEFR")
    preferred_kinds: list[OpportunityKind] | None = Field(default=None, max_length=4)


class Propose(BaseModel):
    """Propose a candidate for an opportunity: the place is held for them."""

    participant_id: uuid.UUID
    opportunity_id: uuid.UUID


class Decline(BaseModel):
    """Why the proposal is declined."""

    reason: DeclineReason


class Withdraw(BaseModel):
    """Why the proposal is withdrawn."""

    reason: Literal["candidate_withdrew", "coach_withdrew"]


class Retained(BaseModel):
    """A retention check: the candidate is still there after this many months."""

    months: Literal[3, 6, 12]


class End(BaseModel):
    """Why the placement ended."""

    reason: EndReason


class Reserve(BaseModel):
    """Places of one opportunity reserved for one target group: visible policy, never a weight."""

    opportunity_id: uuid.UUID
    target_group: TargetGroup
    places: int = Field(ge=1, le=1000)


class RegionQuota(BaseModel):
    """At least so many of the region's places (a number, or a share of the plan's free places) for members of
    one target group, wherever members fit: visible policy, never a weight."""

    target_group: TargetGroup
    places: int | None = Field(default=None, ge=1, le=1_000_000)
    share: float | None = Field(default=None, gt=0, le=1, description="A share of the plan's free places, 0-1")

    @model_validator(mode="after")
    def _one_measure(self) -> RegionQuota:
        if (self.places is None) == (self.share is None):
            raise ValueError("give a quota either as places or as a share, not both and not neither")
        return self

    def places_of(self, free_places: int) -> int:
        """The quota in places, a share counted down to whole places."""
        if self.places is not None:
            return self.places
        return int((self.share or 0.0) * free_places + 1e-9)


class PlanRequest(BaseModel):
    """What a programme officer sets on a plan."""

    reserved: list[Reserve] = Field(default_factory=list, max_length=1000)
    quotas: list[RegionQuota] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _one_quota_per_group(self) -> PlanRequest:
        groups = [q.target_group for q in self.quotas]
        if len(groups) != len(set(groups)):
            raise ValueError("give each target group at most one quota")
        return self


class SaveSearch(BaseModel):
    """What places a coach is looking for; at least one criterion. Told when a fitting place opens."""

    participant_id: uuid.UUID | None = Field(
        default=None, description="Only places that pass every filter for this candidate of your caseload"
    )
    occupation: OccupationId | None = None
    kind: OpportunityKind | None = None
    postcode: Postcode | None = Field(default=None, description="Near this Dutch postcode (area), with radius_km")
    radius_km: int | None = Field(default=None, ge=1, le=300, description="How far from the postcode; 25 if left out")

    @model_validator(mode="after")
    def _something(self) -> SaveSearch:
        if self.participant_id is None and self.occupation is None and self.kind is None and self.postcode is None:
            raise ValueError("give at least one of participant_id, occupation, kind or postcode")
        if self.radius_km is not None and self.postcode is None:
            raise ValueError("a radius needs a postcode to measure from")
        if self.postcode is not None:
            check_place("NL", self.postcode)
        return self
