"""Opportunities: publishing, reading, changing, confirming ("still open?") and closing them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.matching.access import Owner, employer_of, reachable_opportunity
from services.matching.api.schemas import OpportunityOut, opportunity_out
from services.matching.clock import Now
from services.matching.db import opportunities as store
from services.matching.handlers import opportunities as handle
from services.matching.handlers.commands import CreateOpportunity, UpdateOpportunity
from shared.auth import Role
from shared.db import Connection
from shared.paging import Offset
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(tags=["opportunities"])


async def _out(conn: Connection, opportunity_id: uuid.UUID) -> OpportunityOut:
    row = await store.get(conn, opportunity_id)
    return opportunity_out(row)


@router.post("/opportunities", status_code=status.HTTP_201_CREATED, response_model=OpportunityOut)
async def create(body: CreateOpportunity, principal: Owner, uow: UnitOfWorkDep, now: Now) -> OpportunityOut:
    """Publish a vacancy, BBL place, internship or hybrid-teacher post (staff on an employer's behalf)."""
    opportunity_id = await handle.create(uow, body, principal, now)
    return await _out(uow.conn, opportunity_id)


@router.get("/opportunities", response_model=list[OpportunityOut])
async def list_opportunities(
    runtime: RuntimeDep,
    principal: Owner,
    employer_id: uuid.UUID | None = None,
    include_closed: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[OpportunityOut]:
    """An employer's own opportunities; staff see every one (or one employer's)."""
    if principal.role is Role.EMPLOYER:
        employer_id = employer_of(principal)
    async with runtime.pool.acquire() as conn:
        rows = await store.list_opportunities(
            conn, employer_id=employer_id, include_closed=include_closed, limit=limit, offset=offset
        )
    return [opportunity_out(r) for r in rows]


@router.get("/opportunities/{opportunity_id}", response_model=OpportunityOut)
async def get_opportunity(opportunity_id: uuid.UUID, runtime: RuntimeDep, principal: Owner) -> OpportunityOut:
    """One opportunity, with why it is not in the suggestions when it is not."""
    async with runtime.pool.acquire() as conn:
        row = reachable_opportunity(principal, await store.get(conn, opportunity_id))
    return opportunity_out(row)


@router.patch("/opportunities/{opportunity_id}", response_model=OpportunityOut)
async def update(
    opportunity_id: uuid.UUID, body: UpdateOpportunity, principal: Owner, uow: UnitOfWorkDep, now: Now
) -> OpportunityOut:
    """Change an opportunity; a change also confirms that it is still open."""
    await handle.update(uow, opportunity_id, body, principal, now)
    return await _out(uow.conn, opportunity_id)


@router.post("/opportunities/{opportunity_id}/confirm", response_model=OpportunityOut)
async def confirm(opportunity_id: uuid.UUID, principal: Owner, uow: UnitOfWorkDep, now: Now) -> OpportunityOut:
    """Answer "still open?": yes. A stale opportunity comes back into the suggestions."""
    await handle.confirm(uow, opportunity_id, principal, now)
    return await _out(uow.conn, opportunity_id)


@router.post("/opportunities/{opportunity_id}/close", response_model=OpportunityOut)
async def close(opportunity_id: uuid.UUID, principal: Owner, uow: UnitOfWorkDep, now: Now) -> OpportunityOut:
    """Close it: no more suggestions or proposals; proposals still holding a place are withdrawn."""
    await handle.close(uow, opportunity_id, principal, now)
    return await _out(uow.conn, opportunity_id)
