"""HTTP routes of the intake service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel

from services.intake import db
from services.intake.handlers import RegisterParticipant, register_participant
from shared.auth import Principal, Role, require_roles
from shared.errors import Forbidden, NotFound
from shared.events.contracts.intake import Situation
from shared.service import RuntimeDep

router = APIRouter(tags=["participants"])

CoachOrAdmin = Annotated[Principal, require_roles(Role.COACH, Role.ADMIN)]


class ParticipantOut(BaseModel):
    """A participant as their coach sees them."""

    id: uuid.UUID
    name: str
    email: str | None
    situation: Situation
    coach_id: str | None
    created_at: datetime


@router.post("/participants", status_code=status.HTTP_201_CREATED, response_model=ParticipantOut)
async def post_participant(body: RegisterParticipant, runtime: RuntimeDep, principal: CoachOrAdmin) -> ParticipantOut:
    """Register a participant; a coach who names no coach takes the participant on."""
    if principal.role is Role.COACH:
        if body.coach_id not in (None, principal.sub):
            raise Forbidden("a coach can register participants only for their own caseload")
        body = body.model_copy(update={"coach_id": principal.sub})
    async with runtime.uow() as uow:
        row = await register_participant(uow, body, registered_by=principal.sub)
        await uow.commit()
    return ParticipantOut.model_validate(dict(row))


@router.get("/participants/{participant_id}", response_model=ParticipantOut)
async def get_participant(participant_id: uuid.UUID, runtime: RuntimeDep, principal: CoachOrAdmin) -> ParticipantOut:
    """One participant of the caller's caseload."""
    async with runtime.pool.acquire() as conn:
        row = await db.get_participant(conn, participant_id)
    if row is None or (principal.role is Role.COACH and row["coach_id"] != principal.sub):
        raise NotFound(f"there is no participant {participant_id} in your caseload")
    return ParticipantOut.model_validate(dict(row))
