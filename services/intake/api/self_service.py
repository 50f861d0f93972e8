"""The participant's own routes: the public registration form, their data, consent, erasure.

The caller is a person signed in with the region's login. Registering makes their sign-in a
participant account linked to the record (or a coach invites them to claim one); from then on
their account's party is that record, and nobody else's record is reachable.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response, status

from services.intake import db
from services.intake.api.schemas import ConsentOut, ParticipantOut
from services.intake.handlers import accounts
from services.intake.handlers import participants as handle
from services.intake.handlers.commands import (
    RecordConsent,
    RecordEmployer,
    RegisterParticipant,
    RegisterSelf,
    UpdateParticipant,
)
from services.intake.shredding import VaultDep
from shared.auth import Principal, Role, SignedIn, require_roles
from shared.db import Connection
from shared.errors import NotFound
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(prefix="/participants/me", tags=["participant self-service"])

Participant = Annotated[Principal, require_roles(Role.PARTICIPANT)]


async def _own_id(conn: Connection, principal: Principal) -> uuid.UUID:
    participant_id = uuid.UUID(str(principal.party))
    if await db.participants.find_participant(conn, participant_id) is None:
        raise NotFound("your participant record is gone (erased); nothing is kept about you")
    return participant_id


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ParticipantOut)
async def register_myself(
    body: RegisterSelf, request: Request, identity: SignedIn, uow: UnitOfWorkDep, vault: VaultDep
) -> ParticipantOut:
    """Register yourself (the public form): your sign-in becomes your participant account.

    A coach picks you up from the unassigned intake.
    """
    command = RegisterParticipant.model_validate(body.model_dump())
    row = await accounts.register_self(uow, command, identity=identity, vault=vault)
    request.app.state.accounts.forget([identity.sub])
    return ParticipantOut.of(row)


@router.get("", response_model=ParticipantOut)
async def read_myself(principal: Participant, uow: UnitOfWorkDep, vault: VaultDep) -> ParticipantOut:
    """Your own details."""
    row = await handle.read_participant(uow.conn, vault, await _own_id(uow.conn, principal), principal)
    return ParticipantOut.of(row)


@router.patch("", response_model=ParticipantOut)
async def update_myself(
    body: UpdateParticipant, principal: Participant, uow: UnitOfWorkDep, vault: VaultDep
) -> ParticipantOut:
    """Change your own details."""
    row = await handle.update_participant(uow, await _own_id(uow.conn, principal), body, actor=principal, vault=vault)
    return ParticipantOut.of(row)


@router.get("/consents", response_model=list[ConsentOut])
async def my_consents(runtime: RuntimeDep, vault: VaultDep, principal: Participant) -> list[ConsentOut]:
    """Every consent decision you made, oldest first."""
    async with runtime.pool.acquire() as conn:
        rows = await handle.consents_of(conn, vault, await _own_id(conn, principal), principal)
    return [ConsentOut.model_validate(dict(r)) for r in rows]


@router.post("/consents", response_model=list[ConsentOut])
async def give_or_withdraw(
    body: RecordConsent, principal: Participant, uow: UnitOfWorkDep, vault: VaultDep
) -> list[ConsentOut]:
    """Give or withdraw consent for a purpose; answers the consents in force."""
    rows = await handle.record_consent(uow, await _own_id(uow.conn, principal), body, actor=principal, vault=vault)
    return [ConsentOut.model_validate(dict(r)) for r in rows]


@router.put("/employer", response_model=ParticipantOut)
async def record_my_employer(
    body: RecordEmployer, principal: Participant, uow: UnitOfWorkDep, vault: VaultDep
) -> ParticipantOut:
    """Say whom you work for: that employer may then apply for vouchers for you."""
    row = await handle.record_employer(uow, await _own_id(uow.conn, principal), body, actor=principal, vault=vault)
    return ParticipantOut.of(row)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def erase_myself(principal: Participant, request: Request, uow: UnitOfWorkDep) -> Response:
    """Erase all your personal data from Regionet (right to be forgotten); your account goes with it."""
    await handle.erase_participant(uow, await _own_id(uow.conn, principal), actor=principal)
    request.app.state.accounts.forget([principal.sub])
    return Response(status_code=status.HTTP_204_NO_CONTENT)
