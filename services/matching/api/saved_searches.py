"""Saved searches: a coach saves what places they look for and is told when a fitting one opens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, status
from pydantic import BaseModel

from services.matching.clock import Now
from services.matching.db import saved_searches as store
from services.matching.handlers import saved_searches as handle
from services.matching.handlers.commands import SaveSearch
from shared.auth import Principal, Role, require_roles
from shared.events.contracts.matching import OpportunityKind
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(tags=["saved searches"])

Coach = Annotated[Principal, require_roles(Role.COACH)]


class SavedSearchOut(BaseModel):
    """A saved search, and how many places it has found since it was saved."""

    id: uuid.UUID
    participant_id: uuid.UUID | None
    occupation: str | None
    kind: OpportunityKind | None
    area: str | None
    radius_km: int | None
    created_at: datetime
    hits: int
    last_hit: datetime | None


def search_out(row: Any) -> SavedSearchOut:
    """A saved_searches row (with its hit counts) as the API shows it."""
    return SavedSearchOut.model_validate({"hits": 0, "last_hit": None, **dict(row)})


@router.post("/saved-searches", status_code=status.HTTP_201_CREATED, response_model=SavedSearchOut)
async def save(body: SaveSearch, principal: Coach, uow: UnitOfWorkDep, now: Now) -> SavedSearchOut:
    """Save a search; from now on each opportunity that opens and fits it tells you (feed and live stream)."""
    search_id = await handle.save(uow, body, principal, now)
    return search_out(await store.get(uow.conn, search_id))


@router.get("/saved-searches", response_model=list[SavedSearchOut])
async def list_searches(runtime: RuntimeDep, principal: Coach) -> list[SavedSearchOut]:
    """Your saved searches, newest first."""
    async with runtime.pool.acquire() as conn:
        rows = await store.of_owner(conn, principal.sub)
    return [search_out(r) for r in rows]


@router.delete("/saved-searches/{search_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove(search_id: uuid.UUID, principal: Coach, uow: UnitOfWorkDep) -> None:
    """Remove one of your saved searches."""
    await handle.remove(uow, search_id, principal)
