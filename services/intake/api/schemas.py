"""What the intake API answers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from services.intake import domain
from services.intake.db.participants import Participant
from shared.accounts import Account
from shared.auth import Role
from shared.events.contracts.intake import AgeGroup, ConsentPurpose, Situation, SizeClass, TargetGroup, TrajectoryStatus


class ParticipantOut(BaseModel):
    """A participant as their coach (or they themselves) see them."""

    id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    birth_date: date | None
    age_group: AgeGroup
    postcode: str | None
    postcode_area: str | None
    preferred_language: str
    situation: Situation
    target_groups: list[TargetGroup]
    education_level: str | None
    skills: list[str]
    desired_occupations: list[str]
    coach_id: str | None
    employer_id: uuid.UUID | None
    status: TrajectoryStatus
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Participant) -> ParticipantOut:
        """From a participant's record (personal fields opened)."""
        return cls.model_validate({**dict(row), "age_group": domain.age_group(row["birth_date"], date.today())})


class ParticipantPage(BaseModel):
    """One page of a participant list; pass ``next_after`` as ``after`` for the next page."""

    items: list[ParticipantOut]
    next_after: int | None


class TimelineEntryOut(BaseModel):
    """Something that happened to a participant, or a coach's note."""

    id: int
    kind: str
    details: dict[str, Any]
    note: str | None
    actor: str
    at: datetime

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> TimelineEntryOut:
        """From a timeline entry, its note opened (details are stored as JSON text)."""
        return cls.model_validate({**dict(row), "details": json.loads(row["details"])})


class ConsentOut(BaseModel):
    """One consent decision."""

    purpose: ConsentPurpose
    employer_id: uuid.UUID | None
    given: bool
    source: str
    recorded_by: str
    recorded_at: datetime


class CoachOut(BaseModel):
    """A coach account and the size of their caseload (participants in intake or active)."""

    id: str
    display_name: str | None
    region: str
    max_caseload: int | None
    active: bool
    caseload: int


class ContactOut(BaseModel):
    """A contact person at an employer."""

    id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    job_title: str | None


class EmployerOut(BaseModel):
    """An employer; contact persons only for coaches and administrators."""

    id: uuid.UUID
    kvk_number: str
    name: str
    sector: str
    employee_count: int
    size_class: SizeClass
    postcode: str | None
    postcode_area: str | None
    city: str | None
    accredited_learning_company: bool
    contacts: list[ContactOut] | None = None


class CourseOut(BaseModel):
    """A course a provider offers."""

    id: uuid.UUID
    provider_id: uuid.UUID
    title: str
    price_cents: int
    duration_hours: int


class ProviderOut(BaseModel):
    """A training provider and its courses."""

    id: uuid.UUID
    kvk_number: str
    name: str
    accredited: bool
    courses: list[CourseOut] = []


class RejectedRowOut(BaseModel):
    """A CSV row that was not imported."""

    line: int
    reason: str


class ImportOut(BaseModel):
    """What an import did: rows imported now, lines imported before, lines rejected and why."""

    imported: int
    already_imported: list[int]
    rejected: list[RejectedRowOut]
    ignored_columns: list[str]


class AccountOut(BaseModel):
    """An account of the registry: who signs in as it, in which role, for which party."""

    id: str = Field(description="The sign-in subject (the tokens' sub)")
    role: Role
    party: str = Field(description="The participant, employer or provider id; the account's own id for staff")
    region: str
    active: bool
    language: str | None

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        """The account as the API shows it."""
        return cls.model_validate(account, from_attributes=True)


class InvitationOut(BaseModel):
    """An invitation; ``code`` only in the answer that made it (it is not kept)."""

    id: uuid.UUID
    role: Role
    party: str | None
    language: str | None
    invited_by: str
    created_at: datetime
    expires_at: datetime
    claimed_by: str | None
    claimed_at: datetime | None
    revoked_at: datetime | None
    code: str | None = Field(default=None, description="Give this to the person invited; shown only once")
