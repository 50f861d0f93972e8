"""Programmes: the Gelderland template, setting one up, and reading them with their balances."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, status

from services.vouchers.access import Officer
from services.vouchers.api.schemas import ProgrammeOut, category_out
from services.vouchers.db import programmes as programme_store
from services.vouchers.domain import GELDERLAND_CATEGORIES
from services.vouchers.handlers import programmes as handle
from services.vouchers.handlers.commands import CreateProgramme
from shared.auth import CurrentPrincipal
from shared.db import Connection
from shared.errors import NotFound
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(tags=["programmes"])


async def programme_out(conn: Connection, programme_id: uuid.UUID) -> ProgrammeOut:
    """A programme as the API shows it, with its categories' balances; 404 if there is none."""
    row = await programme_store.get_programme(conn, programme_id)
    if row is None:
        raise NotFound(f"There is no programme {programme_id}; list them with GET /programmes.")
    categories = await programme_store.get_categories(conn, programme_id)
    return ProgrammeOut(
        **{k: row[k] for k in ProgrammeOut.model_fields if k not in ("budget_cents", "categories")},
        budget_cents=sum(c["budget_cents"] for c in categories),
        categories=[category_out(c) for c in categories],
    )


@router.get("/programme-templates/gelderland")
async def gelderland_template(principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """The four categories of Leve(n)lang Gelders Vakmanschap, to start a programme from."""
    return [
        {"code": t.code, "name": t.name, "eligible_situations": [s.value for s in t.eligible_situations]}
        for t in GELDERLAND_CATEGORIES
    ]


@router.post("/programmes", status_code=status.HTTP_201_CREATED, response_model=ProgrammeOut)
async def create_programme(body: CreateProgramme, uow: UnitOfWorkDep, principal: Officer) -> ProgrammeOut:
    """Set up a programme with its window, categories, budgets and rules."""
    programme_id = await handle.create_programme(uow, body, actor=principal.sub)
    return await programme_out(uow.conn, programme_id)


@router.get("/programmes", response_model=list[ProgrammeOut])
async def list_programmes(runtime: RuntimeDep, principal: CurrentPrincipal) -> list[ProgrammeOut]:
    """Every programme of this region."""
    async with runtime.pool.acquire() as conn:
        return [await programme_out(conn, r["id"]) for r in await programme_store.list_programmes(conn)]


@router.get("/programmes/{programme_id}", response_model=ProgrammeOut)
async def get_programme(programme_id: uuid.UUID, runtime: RuntimeDep, principal: CurrentPrincipal) -> ProgrammeOut:
    """One programme with its category balances."""
    async with runtime.pool.acquire() as conn:
        return await programme_out(conn, programme_id)
