"""What callers send to intake: validated commands, shared by the HTTP API and the CSV import."""

from __future__ import annotations

import re
import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from services.intake import domain
from shared.auth import Role
from shared.events.contracts.intake import ConsentPurpose, Situation, TargetGroup, TrajectoryStatus


class Language(StrEnum):
    """Languages Regionet speaks to participants in."""

    NL = "nl"
    DE = "de"
    EN = "en"


def _phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if not re.fullmatch(r"\+?[\d\s()\-.]+", value.strip()) or not 8 <= len(digits) <= 15:
        raise ValueError(f"{value!r} is not a phone number; write it like 06 12345678 or +31 6 12345678")
    return " ".join(value.split())


def _birth_date(value: date) -> date:
    return domain.check_birth_date(value, date.today())


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, AfterValidator(_phone)]
Postcode = Annotated[str, AfterValidator(domain.normalise_postcode)]
KvkNumber = Annotated[str, AfterValidator(domain.normalise_kvk)]
BirthDate = Annotated[date, AfterValidator(_birth_date)]
Tags = Annotated[list[Text], Field(max_length=50), AfterValidator(domain.clean_tags)]
AccountId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Command(BaseModel):
    """Base of every command: unknown fields are refused rather than silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ParticipantDetails(Command):
    """Everything about a participant that the participant or their coach may change."""

    name: Name = Field(description="Full name")
    email: EmailStr | None = None
    phone: Phone | None = None
    birth_date: BirthDate | None = Field(default=None, description="The age group is derived from it")
    postcode: Postcode | None = Field(default=None, description="Dutch postcode, 1234 AB")
    preferred_language: Language = Language.NL
    situation: Situation
    target_groups: list[TargetGroup] = Field(
        default_factory=list, description="Voluntary; needs consent for matching or anonymous reporting"
    )
    education_level: Text | None = Field(default=None, description="e.g. mbo2, mbo4, hbo")
    skills: Tags = Field(default_factory=list)
    desired_occupations: Tags = Field(default_factory=list)


class RegisterParticipant(ParticipantDetails):
    """Register a participant; consents given at intake are recorded with it."""

    coach_id: AccountId | None = Field(default=None, description="The coach's account id")
    consents: list[ConsentPurpose] = Field(default_factory=list, description="Purposes consented to at intake")


class RegisterSelf(ParticipantDetails):
    """The public form: a person registers themselves (and chooses their consents)."""

    consents: list[ConsentPurpose] = Field(default_factory=list, description="Purposes consented to")


class UpdateParticipant(Command):
    """Change some of a participant's details; fields left out stay as they are."""

    name: Name | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    birth_date: BirthDate | None = None
    postcode: Postcode | None = None
    preferred_language: Language | None = None
    situation: Situation | None = None
    target_groups: list[TargetGroup] | None = None
    education_level: Text | None = None
    skills: Tags | None = None
    desired_occupations: Tags | None = None


class AssignCoach(Command):
    """Put a participant in a coach's caseload."""

    coach_id: AccountId


class ChangeTrajectory(Command):
    """Move a participant's trajectory on."""

    status: TrajectoryStatus
    reason: str | None = Field(default=None, description=f"Needed when ending: {', '.join(sorted(domain.END_REASONS))}")


class AddNote(Command):
    """A coach's note on the timeline."""

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class RecordConsent(Command):
    """Consent given or withdrawn for one purpose."""

    purpose: ConsentPurpose
    given: bool
    employer_id: uuid.UUID | None = Field(default=None, description="Needed for sharing the profile with an employer")


class RegisterCoach(Command):
    """A coach account, managed by an administrator."""

    id: AccountId = Field(description="The account id in the tokens (sub)")
    display_name: Name | None = None
    region: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{2,10}$")]
    max_caseload: int | None = Field(default=None, ge=0, le=10_000)


class UpdateCoach(Command):
    """Change a coach account."""

    display_name: Name | None = None
    region: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{2,10}$")] | None = None
    max_caseload: int | None = Field(default=None, ge=0, le=10_000)
    active: bool | None = None


class ContactPerson(Command):
    """Someone to talk to at an employer (personal data: stays in intake)."""

    name: Name
    email: EmailStr | None = None
    phone: Phone | None = None
    job_title: Text | None = None


class RegisterEmployer(Command):
    """An employer; the size class is derived from the employee count."""

    kvk_number: KvkNumber = Field(description="8 digits")
    name: Text
    sector: Text
    employee_count: int = Field(ge=0, le=1_000_000)
    postcode: Postcode | None = None
    city: Text | None = None
    accredited_learning_company: bool = Field(default=False, description="Erkend leerbedrijf")
    contacts: list[ContactPerson] = Field(default_factory=list, max_length=20)


class UpdateEmployer(Command):
    """Change some of an employer's details (the KvK number stays)."""

    name: Text | None = None
    sector: Text | None = None
    employee_count: int | None = Field(default=None, ge=0, le=1_000_000)
    postcode: Postcode | None = None
    city: Text | None = None
    accredited_learning_company: bool | None = None


class RegisterProvider(Command):
    """A training provider."""

    kvk_number: KvkNumber
    name: Text
    accredited: bool = False


class PublishCourse(Command):
    """A course a provider offers."""

    title: Text
    price_cents: int = Field(ge=0, le=10_000_000, description="Price in euro cents")
    duration_hours: int = Field(ge=0, le=10_000)


class CreateAccount(Command):
    """An account for a known sign-in subject (an administrator who knows the provider's ``sub``)."""

    id: AccountId = Field(description="The sign-in subject (the tokens' sub) this account is")
    role: Role
    party: uuid.UUID | None = Field(
        default=None, description="The participant, employer or provider it acts for; leave out for staff"
    )
    language: Language | None = None


class Invite(Command):
    """An invitation: whoever claims its code becomes an account of this role and party."""

    role: Role
    party: uuid.UUID | None = Field(
        default=None,
        description="The participant, employer or provider; employer and provider users may leave out their own",
    )
    language: Language | None = None
    valid_days: int = Field(default=14, ge=1, le=90, description="Days until the code expires")


class Claim(Command):
    """Claim an invitation with its code: the signed-in subject becomes the account."""

    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=16, max_length=100)]


class ChangeAccount(Command):
    """Deactivate or reactivate an account, or change its language."""

    active: bool | None = None
    language: Language | None = None


class RecordEmployer(Command):
    """Whom a participant works for (None: no employer known to Regionet)."""

    employer_id: uuid.UUID | None
