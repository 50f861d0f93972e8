"""Inflow per target group over time: how many people arrived in matching's pool each week.

A person arrives when intake's ``participant.registered`` reaches matching (``registered_at``);
target groups are those they declared with consent, counted here for monitoring only (as in the
fairness report, never in the score). A week's count of fewer than ``MIN_CELL`` people is not
shown (null), so nobody can be singled out.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.matching.access import Officer
from services.matching.clock import Now
from services.matching.db import inflow as store
from services.matching.fairness import MIN_CELL
from shared.events.contracts.intake import TargetGroup
from shared.service import RuntimeDep

router = APIRouter(tags=["plan and fairness"])

MAX_WEEKS = 104


class InflowSeries(BaseModel):
    target_group: str | None = Field(description="A target group; null for everyone who arrived")
    people: list[int | None] = Field(description=f"Per week, in the order of ``weeks``; null for 1 to {MIN_CELL - 1}")


class InflowOut(BaseModel):
    """People who arrived in the pool per week (every one, and per declared target group)."""

    weeks: list[dt.date] = Field(description="The Monday of each week, oldest first")
    min_cell: int
    series: list[InflowSeries]


def shown(count: int) -> int | None:
    """A count as the report may show it: 0, or at least MIN_CELL; null in between."""
    return count if count == 0 or count >= MIN_CELL else None


@router.get("/inflow", response_model=InflowOut)
async def inflow(
    runtime: RuntimeDep,
    principal: Officer,
    now: Now,
    weeks: Annotated[int, Query(ge=1, le=MAX_WEEKS, description="How many weeks back, this one included")] = 12,
) -> InflowOut:
    """Per week: how many people arrived in the pool, and how many of each target group; small cells hidden."""
    this_week = now.date() - dt.timedelta(days=now.weekday())
    mondays = [this_week - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    async with runtime.pool.acquire() as conn:
        rows = await store.weekly(conn, mondays[0])
    counts = {(r["target_group"], r["week"]): r["people"] for r in rows}
    groups: list[str | None] = [None, *(g.value for g in TargetGroup)]
    return InflowOut(
        weeks=mondays,
        min_cell=MIN_CELL,
        series=[
            InflowSeries(target_group=g, people=[shown(counts.get((g, monday), 0)) for monday in mondays])
            for g in groups
        ],
    )
