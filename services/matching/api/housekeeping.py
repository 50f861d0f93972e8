"""Development only: matching's housekeeping as of a later day, so that ``regionet demo`` can show what
time does (a proposal's hold running out) without waiting for it. A production deployment answers 404."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.matching.access import Admin
from services.matching.clock import Now
from services.matching.housekeeping import sweep
from shared.errors import NotFound
from shared.service import RuntimeDep

router = APIRouter(tags=["development"])


class SweepAhead(BaseModel):
    days_ahead: int = Field(ge=1, le=400, description="Sweep as of this many days from now")


@router.post("/housekeeping/sweep")
async def sweep_ahead(runtime: RuntimeDep, principal: Admin, now: Now, body: SweepAhead) -> dict[str, int]:
    """Expire the holds, ask "still open?" and retire the unconfirmed as the sweep would ``days_ahead`` days from
    now; how many of each. Only in a development deployment."""
    if runtime.settings.environment != "development":
        raise NotFound("there is no such page in a production deployment")
    return await sweep(runtime, now + dt.timedelta(days=body.days_ahead))
