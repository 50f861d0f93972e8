"""Proposals and the match flow: proposed → interested / declined → interview → placed → retained / ended."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.matching.access import (
    CoachOrAdmin,
    FlowParty,
    Owner,
    Participant,
    caseload_of,
    employer_of,
    reachable_proposal,
)
from services.matching.api.language import Reader
from services.matching.api.schemas import OwnProposalOut, ProposalOut, proposal_out
from services.matching.clock import Now
from services.matching.db import candidates as candidate_store
from services.matching.db import employers as employer_store
from services.matching.db import proposals as store
from services.matching.handlers import commands
from services.matching.handlers import proposals as handle
from services.matching.settings import MatchingSettings
from shared.accounts import party_uuid
from shared.auth import Principal, Role
from shared.db import Connection
from shared.events.contracts.matching import WithdrawReason
from shared.paging import Offset
from shared.service import Runtime, RuntimeDep, UnitOfWorkDep

router = APIRouter(tags=["proposals"])


def settings_of(runtime: Runtime) -> MatchingSettings:
    settings: MatchingSettings = runtime.extensions["settings"]
    return settings


async def _out(conn: Connection, proposal_id: uuid.UUID, principal: Principal, lang: str) -> ProposalOut:
    row = reachable_proposal(principal, await store.get(conn, proposal_id))
    if principal.role is Role.EMPLOYER:
        shared = await employer_store.shares_with(conn, row["participant_id"], row["employer_id"])
    else:
        shared = True
    return proposal_out(
        row,
        language=lang,
        shared=shared,
        candidate=await candidate_store.get(conn, row["participant_id"]),
        steps=await store.steps(conn, proposal_id),
    )


@router.post("/proposals", status_code=status.HTTP_201_CREATED, response_model=ProposalOut)
async def propose(
    body: commands.Propose, principal: CoachOrAdmin, uow: UnitOfWorkDep, runtime: RuntimeDep, now: Now, lang: Reader
) -> ProposalOut:
    """Propose a candidate of the coach's caseload for an opportunity that passes every filter; holds a place."""
    proposal_id = await handle.propose(
        uow, body.participant_id, body.opportunity_id, principal, now, settings_of(runtime).hold
    )
    return await _out(uow.conn, proposal_id, principal, lang)


@router.get("/proposals", response_model=list[ProposalOut])
async def list_proposals(
    runtime: RuntimeDep,
    principal: Owner,
    lang: Reader,
    opportunity_id: uuid.UUID | None = None,
    participant_id: uuid.UUID | None = None,
    status_is: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[ProposalOut]:
    """Proposals the caller may see: an employer's own, a coach's caseload's, every one for officers and admins."""
    employer_id, coach_id = None, None
    if principal.role is Role.EMPLOYER:
        employer_id = employer_of(principal)
    elif principal.role is Role.COACH:
        coach_id = caseload_of(principal)
    async with runtime.pool.acquire() as conn:
        rows = await store.list_proposals(
            conn,
            opportunity_id=opportunity_id,
            participant_id=participant_id,
            status=status_is,
            limit=limit,
            offset=offset,
            employer_id=employer_id,
            coach_id=coach_id,
        )
        return [await _out(conn, r["id"], principal, lang) for r in rows]


# Before /proposals/{proposal_id}, which would take "mine" for an id.
@router.get("/proposals/mine", response_model=list[OwnProposalOut])
async def my_proposals(
    runtime: RuntimeDep,
    principal: Participant,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[OwnProposalOut]:
    """A participant's own proposals, newest first: the place, its employer, where, the status and until when.

    Only the proposals of the participant the account acts for; nobody else's ever shows.
    """
    async with runtime.pool.acquire() as conn:
        rows = await store.for_candidate(conn, party_uuid(principal), limit=limit, offset=offset)
    return [OwnProposalOut.model_validate(dict(r)) for r in rows]


@router.get("/proposals/{proposal_id}", response_model=ProposalOut)
async def get_proposal(proposal_id: uuid.UUID, runtime: RuntimeDep, principal: Owner, lang: Reader) -> ProposalOut:
    """One proposal with every step; an employer sees the candidate anonymously unless they share their profile."""
    async with runtime.pool.acquire() as conn:
        return await _out(conn, proposal_id, principal, lang)


@router.post("/proposals/{proposal_id}/interested", response_model=ProposalOut)
async def interested(
    proposal_id: uuid.UUID, principal: FlowParty, uow: UnitOfWorkDep, runtime: RuntimeDep, now: Now, lang: Reader
) -> ProposalOut:
    """The employer is interested (answered by the employer, or by the coach on its behalf); the hold is renewed."""
    await handle.interested(uow, proposal_id, principal, now, settings_of(runtime).hold)
    return await _out(uow.conn, proposal_id, principal, lang)


@router.post("/proposals/{proposal_id}/decline", response_model=ProposalOut)
async def decline(
    proposal_id: uuid.UUID, body: commands.Decline, principal: FlowParty, uow: UnitOfWorkDep, now: Now, lang: Reader
) -> ProposalOut:
    """Declined with a reason code; the place is free again."""
    await handle.decline(uow, proposal_id, body.reason, principal, now)
    return await _out(uow.conn, proposal_id, principal, lang)


@router.post("/proposals/{proposal_id}/interview", response_model=ProposalOut)
async def interview(
    proposal_id: uuid.UUID, principal: FlowParty, uow: UnitOfWorkDep, runtime: RuntimeDep, now: Now, lang: Reader
) -> ProposalOut:
    """An interview is planned; the hold is renewed."""
    await handle.interview(uow, proposal_id, principal, now, settings_of(runtime).hold)
    return await _out(uow.conn, proposal_id, principal, lang)


@router.post("/proposals/{proposal_id}/placed", response_model=ProposalOut)
async def placed(
    proposal_id: uuid.UUID, principal: FlowParty, uow: UnitOfWorkDep, now: Now, lang: Reader
) -> ProposalOut:
    """The candidate started: the held place is filled."""
    await handle.place(uow, proposal_id, principal, now)
    return await _out(uow.conn, proposal_id, principal, lang)


@router.post("/proposals/{proposal_id}/retained", response_model=ProposalOut)
async def retained(
    proposal_id: uuid.UUID, body: commands.Retained, principal: FlowParty, uow: UnitOfWorkDep, now: Now, lang: Reader
) -> ProposalOut:
    """Still there after 3, 6 or 12 months (in that order)."""
    await handle.retained(uow, proposal_id, body.months, principal, now)
    return await _out(uow.conn, proposal_id, principal, lang)


@router.post("/proposals/{proposal_id}/end", response_model=ProposalOut)
async def end(
    proposal_id: uuid.UUID, body: commands.End, principal: FlowParty, uow: UnitOfWorkDep, now: Now, lang: Reader
) -> ProposalOut:
    """The placement ended, with a reason code; the place is free again."""
    await handle.end(uow, proposal_id, body.reason, principal, now)
    return await _out(uow.conn, proposal_id, principal, lang)


@router.post("/proposals/{proposal_id}/withdraw", response_model=ProposalOut)
async def withdraw(
    proposal_id: uuid.UUID, body: commands.Withdraw, principal: CoachOrAdmin, uow: UnitOfWorkDep, now: Now, lang: Reader
) -> ProposalOut:
    """The coach withdraws the proposal (for the candidate or themself); the place is free again."""
    await handle.withdraw(uow, proposal_id, WithdrawReason(body.reason), principal, now)
    return await _out(uow.conn, proposal_id, principal, lang)
