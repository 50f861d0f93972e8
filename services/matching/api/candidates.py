"""Candidates: a coach's caseload as matching knows it, and what the coach adds to a profile."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.matching.access import CoachOrAdmin, caseload_of, reachable_candidate
from services.matching.api.schemas import CandidateOut, candidate_out
from services.matching.db import candidates as store
from services.matching.handlers import candidates as handle
from services.matching.handlers.commands import CandidateAdditions
from shared.auth import Role
from shared.paging import Offset
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(tags=["candidates"])


@router.get("/candidates", response_model=list[CandidateOut])
async def list_candidates(
    runtime: RuntimeDep,
    principal: CoachOrAdmin,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[CandidateOut]:
    """A coach's own caseload; an administrator sees every candidate."""
    coach = caseload_of(principal) if principal.role is Role.COACH else None
    async with runtime.pool.acquire() as conn:
        rows = await store.list_candidates(conn, coach_id=coach, limit=limit, offset=offset)
    return [candidate_out(r) for r in rows]


@router.get("/candidates/{participant_id}", response_model=CandidateOut)
async def get_candidate(participant_id: uuid.UUID, runtime: RuntimeDep, principal: CoachOrAdmin) -> CandidateOut:
    """One candidate of the coach's caseload."""
    async with runtime.pool.acquire() as conn:
        row = reachable_candidate(principal, await store.get(conn, participant_id))
    return candidate_out(row)


@router.patch("/candidates/{participant_id}", response_model=CandidateOut)
async def add_to_profile(
    participant_id: uuid.UUID, body: CandidateAdditions, principal: CoachOrAdmin, uow: UnitOfWorkDep
) -> CandidateOut:
    """Add hours, start date, travel radius, driving licence, language level and preferred kinds of place."""
    await handle.add_to_profile(uow, participant_id, body, principal)
    row = await store.get(uow.conn, participant_id)
    return candidate_out(row)
