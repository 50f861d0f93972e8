"""Commands of the intake service, as plain functions over a unit of work."""

from __future__ import annotations

import uuid

import asyncpg
from pydantic import BaseModel, EmailStr, Field

from services.intake import db
from shared.db.uow import UnitOfWork
from shared.events.contracts.intake import ParticipantRegistered, Situation


class RegisterParticipant(BaseModel):
    """What it takes to register a participant."""

    name: str = Field(min_length=1, max_length=200, description="Full name")
    email: EmailStr | None = None
    situation: Situation
    coach_id: str | None = Field(default=None, max_length=200, description="The coach's account id")


async def register_participant(uow: UnitOfWork, cmd: RegisterParticipant, *, registered_by: str) -> asyncpg.Record:
    """Store the participant and announce it (without personal data)."""
    participant_id = uuid.uuid4()
    row = await db.insert_participant(
        uow.conn,
        participant_id=participant_id,
        name=cmd.name,
        email=str(cmd.email) if cmd.email else None,
        situation=cmd.situation.value,
        coach_id=cmd.coach_id,
        registered_by=registered_by,
    )
    uow.emit(
        ParticipantRegistered(participant_id=participant_id, coach_id=cmd.coach_id, situation=cmd.situation),
        subject=str(participant_id),
    )
    return row
