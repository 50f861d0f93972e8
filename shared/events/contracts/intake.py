"""Events published by the intake service.

Intake is the only service that holds personal data. Its events carry the participant's
pseudonymous id (a random UUID that means nothing outside Regionet) and coarse attributes
that other services need to do their work; never a name, email, phone, birth date or full
postcode.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import Field

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


@event_type(SERVICE, "participant.registered", 1, "A participant entered the programme")
class ParticipantRegistered(EventData):
    """A new participant; pseudonymous id, coach and situation only."""

    participant_id: uuid.UUID
    coach_id: str | None = Field(default=None, description="The coach's account id, if assigned")
    situation: Situation
