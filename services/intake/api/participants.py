"""Participants as coaches and administrators work with them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.intake import db
from services.intake.api.schemas import ConsentOut, ParticipantOut, ParticipantPage, TimelineEntryOut
from services.intake.handlers import participants as handle
from services.intake.handlers.commands import (
    AddNote,
    AssignCoach,
    ChangeTrajectory,
    RecordConsent,
    RecordEmployer,
    RegisterParticipant,
    UpdateParticipant,
)
from services.intake.shredding import VaultDep
from shared.auth import Principal, Role, require_roles
from shared.errors import Forbidden
from shared.events.contracts.intake import Situation, TargetGroup, TrajectoryStatus
from shared.paging import Cursor
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(prefix="/participants", tags=["participants"])

CoachOrAdmin = Annotated[Principal, require_roles(Role.COACH, Role.ADMIN)]
Admin = Annotated[Principal, require_roles(Role.ADMIN)]

# The most participants one page lists, and the most ids one request may name.
MAX_LISTED = 200


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ParticipantOut)
async def register(
    body: RegisterParticipant, principal: CoachOrAdmin, uow: UnitOfWorkDep, vault: VaultDep
) -> ParticipantOut:
    """Register a participant; a coach who names no coach takes the participant on."""
    if principal.role is Role.COACH:
        if body.coach_id not in (None, principal.sub):
            raise Forbidden("a coach can register participants only for their own caseload")
        body = body.model_copy(update={"coach_id": principal.sub})
    row = await handle.register_participant(uow, body, actor=principal, vault=vault)
    return ParticipantOut.of(row)


@router.get("", response_model=ParticipantPage)
async def list_participants(
    principal: CoachOrAdmin,
    uow: UnitOfWorkDep,
    vault: VaultDep,
    coach_id: str | None = None,
    unassigned: bool = False,
    status: TrajectoryStatus | None = None,
    situation: Situation | None = None,
    target_group: TargetGroup | None = None,
    postcode_area: Annotated[str | None, Query(pattern=r"^\d{4}$", description="4-digit postcode area")] = None,
    participant_ids: Annotated[
        list[uuid.UUID] | None,
        Query(
            alias="id",
            max_length=MAX_LISTED,
            description=f"only these participants (repeat the parameter; at most {MAX_LISTED})",
        ),
    ] = None,
    after: Annotated[Cursor, Query(description="next_after of the previous page")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTED)] = 50,
) -> ParticipantPage:
    """Participants the caller may see (a coach: their caseload and unassigned intake), filtered and paged."""
    if principal.role is Role.COACH and coach_id not in (None, principal.sub):
        raise Forbidden("a coach can list only their own caseload; leave coach_id out or use your own id")
    where = db.participants.ParticipantFilter(
        coach_id=coach_id,
        unassigned=unassigned,
        status=status.value if status else None,
        situation=situation.value if situation else None,
        target_group=target_group.value if target_group else None,
        postcode_area=postcode_area,
        ids=tuple(participant_ids) if participant_ids is not None else None,
    )
    rows = await handle.list_participants(uow.conn, vault, where, principal, after=after, limit=limit)
    next_after = rows[-1]["seq"] if len(rows) == limit else None
    return ParticipantPage(items=[ParticipantOut.of(r) for r in rows], next_after=next_after)


@router.get("/{participant_id}", response_model=ParticipantOut)
async def read(
    participant_id: uuid.UUID, principal: CoachOrAdmin, uow: UnitOfWorkDep, vault: VaultDep
) -> ParticipantOut:
    """One participant of the caller's caseload (the read is logged)."""
    row = await handle.read_participant(uow.conn, vault, participant_id, principal)
    return ParticipantOut.of(row)


@router.patch("/{participant_id}", response_model=ParticipantOut)
async def update(
    participant_id: uuid.UUID, body: UpdateParticipant, principal: CoachOrAdmin, uow: UnitOfWorkDep, vault: VaultDep
) -> ParticipantOut:
    """Change details; fields left out stay as they are, ``null`` empties an optional field."""
    row = await handle.update_participant(uow, participant_id, body, actor=principal, vault=vault)
    return ParticipantOut.of(row)


@router.put("/{participant_id}/coach", response_model=ParticipantOut)
async def assign_coach(
    participant_id: uuid.UUID, body: AssignCoach, principal: CoachOrAdmin, uow: UnitOfWorkDep, vault: VaultDep
) -> ParticipantOut:
    """Put the participant in a coach's caseload: take them on, or hand them over."""
    row = await handle.assign_coach(uow, participant_id, body, actor=principal, vault=vault)
    return ParticipantOut.of(row)


@router.put("/{participant_id}/employer", response_model=ParticipantOut)
async def record_employer(
    participant_id: uuid.UUID, body: RecordEmployer, principal: CoachOrAdmin, uow: UnitOfWorkDep, vault: VaultDep
) -> ParticipantOut:
    """Record whom the participant works for (or null): that employer may then act for them, e.g. apply for a
    voucher. Consent to share with an employer (POST .../consents) links them too."""
    row = await handle.record_employer(uow, participant_id, body, actor=principal, vault=vault)
    return ParticipantOut.of(row)


@router.post("/{participant_id}/trajectory", response_model=ParticipantOut)
async def change_trajectory(
    participant_id: uuid.UUID, body: ChangeTrajectory, principal: CoachOrAdmin, uow: UnitOfWorkDep, vault: VaultDep
) -> ParticipantOut:
    """Move the trajectory on: intake → active → placed / ended (ending needs a reason)."""
    row = await handle.change_trajectory(uow, participant_id, body, actor=principal, vault=vault)
    return ParticipantOut.of(row)


@router.get("/{participant_id}/timeline", response_model=list[TimelineEntryOut])
async def timeline(
    participant_id: uuid.UUID, principal: CoachOrAdmin, uow: UnitOfWorkDep, vault: VaultDep
) -> list[TimelineEntryOut]:
    """Everything that happened to the participant, with who and when, and the coaches' notes."""
    rows = await handle.read_timeline(uow.conn, vault, participant_id, principal)
    return [TimelineEntryOut.of(r) for r in rows]


@router.post("/{participant_id}/notes", status_code=status.HTTP_201_CREATED, response_model=TimelineEntryOut)
async def add_note(
    participant_id: uuid.UUID, body: AddNote, principal: CoachOrAdmin, uow: UnitOfWorkDep, vault: VaultDep
) -> TimelineEntryOut:
    """Add a note to the participant's timeline."""
    row = await handle.add_note(uow, participant_id, body, actor=principal, vault=vault)
    return TimelineEntryOut.of(row)


@router.get("/{participant_id}/consents", response_model=list[ConsentOut])
async def consents(
    participant_id: uuid.UUID, runtime: RuntimeDep, vault: VaultDep, principal: CoachOrAdmin
) -> list[ConsentOut]:
    """Every consent decision the participant made, oldest first."""
    async with runtime.pool.acquire() as conn:
        rows = await handle.consents_of(conn, vault, participant_id, principal)
    return [ConsentOut.model_validate(dict(r)) for r in rows]


@router.post("/{participant_id}/consents", response_model=list[ConsentOut])
async def record_consent(
    participant_id: uuid.UUID, body: RecordConsent, principal: CoachOrAdmin, uow: UnitOfWorkDep, vault: VaultDep
) -> list[ConsentOut]:
    """Record consent given or withdrawn on the participant's behalf; answers the consents in force."""
    rows = await handle.record_consent(uow, participant_id, body, actor=principal, vault=vault)
    return [ConsentOut.model_validate(dict(r)) for r in rows]


@router.delete("/{participant_id}", status_code=status.HTTP_204_NO_CONTENT)
async def erase(participant_id: uuid.UUID, principal: Admin, uow: UnitOfWorkDep) -> Response:
    """Erase the participant's personal data (right to be forgotten); every service is told."""
    await handle.erase_participant(uow, participant_id, actor=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
