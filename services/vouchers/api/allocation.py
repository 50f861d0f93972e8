"""Allocation after the window: the lottery draw, and expiry after the redemption deadline."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from services.vouchers.access import Officer
from services.vouchers.clock import Now
from services.vouchers.db import programmes as programme_store
from services.vouchers.handlers import allocation, expiry
from shared.auth import CurrentPrincipal
from shared.errors import NotFound
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(tags=["allocation"])


@router.post("/programmes/{programme_id}/draw")
async def draw(programme_id: uuid.UUID, uow: UnitOfWorkDep, now: Now, principal: Officer) -> dict[str, Any]:
    """After the window closes: draw the lottery with the committed seed and publish seed, inputs and outcome."""
    return await allocation.run_draw(uow, programme_id, actor=principal.sub, now=now)


@router.get("/programmes/{programme_id}/draw")
async def get_draw(programme_id: uuid.UUID, runtime: RuntimeDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """The published draw: seed, algorithm, inputs and outcome, enough to re-run it (``lottery.rerun``)."""
    async with runtime.pool.acquire() as conn:
        row = await programme_store.get_programme(conn, programme_id)
    if row is None:
        raise NotFound(f"There is no programme {programme_id}.")
    if row["draw"] is None:
        raise NotFound("This programme has not been drawn yet; the draw is published when it has run.")
    published: dict[str, Any] = row["draw"]
    return published


@router.post("/programmes/{programme_id}/expire-due")
async def expire_due(programme_id: uuid.UUID, uow: UnitOfWorkDep, now: Now, principal: Officer) -> dict[str, int]:
    """After the redemption deadline: expire unclaimed vouchers and open applications; money goes back."""
    return {"expired": await expiry.expire_due(uow, programme_id, now=now)}
