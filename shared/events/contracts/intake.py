"""Events published by the intake service.

Intake is the only service that holds personal data. Its events carry the participant's
pseudonymous id (a random UUID that means nothing outside Regionet) and coarse attributes
other services need for their work:

- ``situation`` and ``age_group`` decide voucher eligibility and feed outcome figures; an age
  band (not the birth date) cannot single anyone out;
- ``postcode_area`` is the 4-digit area (a Dutch PC4 holds thousands of people), never the
  full postcode or address; matching uses it for distance;
- ``skills``, ``desired_occupations`` and ``education_level`` are what matching ranks on;
- ``target_groups`` are only sent when the participant gave consent for matching or anonymous
  reporting; otherwise the list is empty;
- names, email, phone, birth date and full postcode never leave intake. Notifications asks
  intake for an email address at send time (request–reply) and gets it only when the
  participant consented to email contact.
Employers, providers and courses are organisations, not people: their public registry data
(KvK number, trade name, sector) may travel; their contact persons may not.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import Field

from shared.auth import Role
from shared.events.envelope import EventData, event_type

SERVICE = "intake"


class Situation(StrEnum):
    """A participant's current situation; drives voucher eligibility and matching."""

    LOOKING_FOR_WORK = "looking_for_work"
    WORKING_IN_TECH = "working_in_tech"
    WORKING_OUTSIDE_TECH = "working_outside_tech"
    SELF_EMPLOYED_IN_TECH = "self_employed_in_tech"
    STUDENT = "student"
    OTHER = "other"


class AgeGroup(StrEnum):
    """Age band derived from the birth date at the time of the event."""

    UNDER_27 = "under_27"
    FROM_27_TO_44 = "27_to_44"
    FROM_45 = "45_plus"
    UNKNOWN = "unknown"


class TargetGroup(StrEnum):
    """Target groups a participant may choose to declare (voluntary, needs consent)."""

    VULNERABLE_YOUTH = "vulnerable_youth"
    AGE_45_PLUS = "age_45_plus"
    REFUGEE_WITH_PERMIT = "refugee_with_permit"
    WOMAN = "woman"
    OTHER = "other"


class ConsentPurpose(StrEnum):
    """What a participant can consent to, each on its own."""

    COACHING = "coaching"
    MATCHING = "matching"
    SHARE_WITH_EMPLOYER = "share_with_employer"
    ANONYMOUS_REPORTING = "anonymous_reporting"
    EMAIL_CONTACT = "email_contact"


class TrajectoryStatus(StrEnum):
    """Where a participant's guidance trajectory (begeleidingstraject) stands."""

    INTAKE = "intake"
    ACTIVE = "active"
    PLACED = "placed"
    ENDED = "ended"


class SizeClass(StrEnum):
    """Employer size: MKB (fewer than 250 employees) or large."""

    MKB = "mkb"
    LARGE = "large"


class ParticipantProfile(EventData):
    """The non-personal attributes of a participant other services may know."""

    participant_id: uuid.UUID
    coach_id: str | None = Field(default=None, description="The coach's account id, if assigned")
    situation: Situation
    age_group: AgeGroup = AgeGroup.UNKNOWN
    postcode_area: str | None = Field(default=None, pattern=r"^\d{4}$", description="4-digit postcode area")
    education_level: str | None = Field(default=None, description="e.g. mbo2, mbo4, hbo")
    skills: list[str] = Field(default_factory=list, description="Skill tags or codes")
    desired_occupations: list[str] = Field(default_factory=list, description="Occupation tags or codes")
    target_groups: list[TargetGroup] = Field(
        default_factory=list, description="Declared target groups; empty unless matching or reporting consent"
    )
    trajectory_status: TrajectoryStatus = TrajectoryStatus.INTAKE


@event_type(SERVICE, "participant.registered", 1, "A participant entered the programme")
class ParticipantRegistered(ParticipantProfile):
    """A new participant."""


@event_type(SERVICE, "participant.updated", 1, "A participant's details changed")
class ParticipantUpdated(ParticipantProfile):
    """The current non-personal profile, and which fields changed (names only, never values)."""

    changed_fields: list[str] = Field(description="Names of the fields that changed, personal ones included")


@event_type(SERVICE, "participant.situation_changed", 1, "A participant's situation changed")
class ParticipantSituationChanged(EventData):
    """From one situation to another (e.g. retrained into technology)."""

    participant_id: uuid.UUID
    previous: Situation
    situation: Situation


@event_type(SERVICE, "participant.consent_given", 1, "A participant gave consent for a purpose")
class ParticipantConsentGiven(EventData):
    """Consent for one purpose; ``employer_id`` names the employer for profile sharing."""

    participant_id: uuid.UUID
    purpose: ConsentPurpose
    employer_id: uuid.UUID | None = None
    source: str = Field(description="Who recorded it: 'participant', 'coach' or 'import'")


@event_type(SERVICE, "participant.consent_withdrawn", 1, "A participant withdrew consent for a purpose")
class ParticipantConsentWithdrawn(EventData):
    """Withdrawn consent; every service stops using the data for that purpose."""

    participant_id: uuid.UUID
    purpose: ConsentPurpose
    employer_id: uuid.UUID | None = None
    source: str


@event_type(SERVICE, "participant.coach_assigned", 1, "A participant got a (new) coach")
class ParticipantCoachAssigned(EventData):
    """Caseload change."""

    participant_id: uuid.UUID
    coach_id: str
    previous_coach_id: str | None = None


@event_type(SERVICE, "participant.trajectory_changed", 1, "A participant's guidance trajectory moved on")
class ParticipantTrajectoryChanged(EventData):
    """intake → active → placed / ended (with a reason)."""

    participant_id: uuid.UUID
    previous: TrajectoryStatus
    status: TrajectoryStatus
    reason: str | None = Field(default=None, description="Why it ended, from a fixed list (no free text)")


@event_type(SERVICE, "participant.erased", 1, "A participant's personal data was erased")
class ParticipantErased(EventData):
    """Every service removes or anonymises what it holds about this pseudonym."""

    participant_id: uuid.UUID


class EmployerProfile(EventData):
    """Public registry data of an employer (an organisation, not a person)."""

    employer_id: uuid.UUID
    kvk_number: str = Field(pattern=r"^\d{8}$")
    name: str
    sector: str
    size_class: SizeClass
    postcode_area: str | None = Field(default=None, pattern=r"^\d{4}$")
    accredited_learning_company: bool = Field(description="Erkend leerbedrijf")


@event_type(SERVICE, "employer.registered", 1, "An employer joined")
class EmployerRegistered(EmployerProfile):
    """A new employer."""


@event_type(SERVICE, "employer.updated", 1, "An employer's details changed")
class EmployerUpdated(EmployerProfile):
    """The current profile and which fields changed."""

    changed_fields: list[str]


@event_type(SERVICE, "provider.registered", 1, "A training provider joined")
class ProviderRegistered(EventData):
    """A provider whose courses vouchers can pay for."""

    provider_id: uuid.UUID
    kvk_number: str = Field(pattern=r"^\d{8}$")
    name: str
    accredited: bool


@event_type(SERVICE, "course.published", 1, "A provider published a course")
class CoursePublished(EventData):
    """A course with its price, for voucher applications."""

    course_id: uuid.UUID
    provider_id: uuid.UUID
    title: str
    price_cents: int = Field(ge=0)
    duration_hours: int = Field(ge=0)


class AccountLanguage(StrEnum):
    """The language an account reads Regionet in (pages, notifications)."""

    NL = "nl"
    DE = "de"
    EN = "en"


@event_type(SERVICE, "account.activated", 1, "An account may act in Regionet: new, reactivated or changed")
class AccountActivated(EventData):
    """The account's whole current state; every service keeps it in its accounts registry.

    ``account_id`` is the token subject (``sub``) the account signs in with: a pseudonymous id
    of the sign-in provider, never a name or an email address.
    """

    account_id: str = Field(min_length=1, max_length=255)
    role: Role
    party: str = Field(
        min_length=1,
        max_length=255,
        description="The participant, employer or provider id the account acts for; its own id for staff",
    )
    language: AccountLanguage | None = None


@event_type(SERVICE, "account.deactivated", 1, "An account may no longer act")
class AccountDeactivated(EventData):
    """Every service refuses the account from now on (within a few seconds)."""

    account_id: str = Field(min_length=1, max_length=255)


@event_type(SERVICE, "account.removed", 1, "An account was deleted")
class AccountRemoved(EventData):
    """Its participant was erased: every service forgets the account and its link to the person."""

    account_id: str = Field(min_length=1, max_length=255)


@event_type(SERVICE, "participant.employer_changed", 1, "A participant's employer was recorded or cleared")
class ParticipantEmployerChanged(EventData):
    """The participant works for ``employer_id`` (None: for no employer known to Regionet).

    An employer may act for its employees (apply for a voucher, see their matches).
    """

    participant_id: uuid.UUID
    employer_id: uuid.UUID | None
    previous_employer_id: uuid.UUID | None = None
