"""The region plan (an optimal assignment under every place's capacity) and the fairness report."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.matching.access import Officer
from services.matching.api.language import Reader
from services.matching.api.suggestions import engine_of
from services.matching.batch import in_top
from services.matching.clock import Now
from services.matching.db import reports
from services.matching.domain import WEIGHTS_VERSION
from services.matching.explain import explain
from services.matching.fairness import FLAG_BELOW, MIN_CELL, Person, report
from services.matching.handlers.commands import PlanRequest, Reserve
from services.matching.plan import Reservation, plan_region
from shared.service import RuntimeDep

router = APIRouter(tags=["plan and fairness"])


class Assignment(BaseModel):
    participant_id: uuid.UUID
    opportunity_id: uuid.UUID
    score: float
    explanation: str
    reserved_for: str | None = Field(description="The target group whose reserved place this is, if it is one")


class PlanOut(BaseModel):
    """The best assignment of every candidate to at most one place, no place over its capacity. It suggests;
    coaches decide."""

    weights_version: str
    language: str
    computed_at: dt.datetime
    candidates: int
    places: int = Field(description="Free places (slots) of every open opportunity")
    total_score: float
    reserved: list[Reserve] = Field(description="The places reserved per target group that this plan applied")
    assigned: list[Assignment]
    unassigned: int


@router.post("/plans", response_model=PlanOut)
async def make_plan(
    runtime: RuntimeDep, principal: Officer, lang: Reader, now: Now, body: PlanRequest | None = None
) -> PlanOut:
    """Plan the whole region now: every candidate in the pool, every open place, each explained; places
    reserved for a target group go only to its members, and the answer says which ones those are."""
    engine = engine_of(runtime)
    candidates = await engine.candidates(runtime.pool)
    opportunities = await engine.opportunities(runtime.pool, now.date())
    reserved = body.reserved if body is not None else []
    policy = [Reservation(str(r.opportunity_id), r.target_group.value, r.places) for r in reserved]
    async with runtime.pool.acquire() as conn:
        groups = await reports.target_groups(conn) if policy else {}
    plan = await asyncio.to_thread(plan_region, candidates, opportunities, engine.vocab, policy, groups)
    via = dict(plan.reserved)
    return PlanOut(
        weights_version=WEIGHTS_VERSION,
        language=lang,
        computed_at=now,
        candidates=len(candidates.items),
        places=sum(max(0, o.places_left) for o in opportunities.items if not o.closed),
        total_score=round(plan.total_units / 1000, 2),
        reserved=reserved,
        assigned=[
            Assignment(
                participant_id=uuid.UUID(e.candidate),
                opportunity_id=uuid.UUID(e.opportunity),
                score=e.score,
                explanation=explain(e, engine.vocab, lang),
                reserved_for=via.get(e.candidate),
            )
            for e in plan.assigned
        ],
        unassigned=len(plan.unassigned),
    )


class FairnessRow(BaseModel):
    group: str = Field(description="A target group, or two joined by '+' (an intersection)")
    people: int | None = Field(description=f"Candidates in the group; null below {MIN_CELL}")
    top10_share: float | None = Field(description="Share among the ten best candidates of some open opportunity")
    proposals_per_100: float | None
    acceptance: float | None = Field(description="Share of employer answers that were 'interested'")
    placements_per_100: float | None
    median_days_to_placement: float | None = Field(description="From first known to matching to placement")
    ratios: dict[str, float | None] = Field(description="Each figure over the same figure for everyone else")
    flagged: list[str] = Field(description=f"Figures whose ratio is below {FLAG_BELOW}")


class FairnessOut(BaseModel):
    """Outcomes per target group. Target groups never enter the score; they are counted here only."""

    computed_at: dt.datetime
    eligible_pool: int
    min_cell: int
    flag_below: float
    rows: list[FairnessRow]


@router.get("/fairness", response_model=FairnessOut)
async def fairness(runtime: RuntimeDep, principal: Officer, now: Now) -> FairnessOut:
    """Per target group and per intersection of two: eligible pool, top-10 share, proposals, acceptance,
    placements, median days to placement, each against the rest; cells under ten people are not shown."""
    engine = engine_of(runtime)
    candidates = await engine.candidates(runtime.pool)
    opportunities = await engine.opportunities(runtime.pool, now.date())
    top = await asyncio.to_thread(in_top, candidates, opportunities)
    in_top10 = {c.id for c, t in zip(candidates.items, top.tolist(), strict=True) if t}
    async with runtime.pool.acquire() as conn:
        rows = await reports.outcomes(conn)
    pool = [
        Person(
            groups=frozenset(r["target_groups"]),
            in_top10=str(r["participant_id"]) in in_top10,
            proposals=r["proposals"],
            answered=r["answered"],
            accepted=r["accepted"],
            placed=r["placed_at"] is not None,
            days_to_placement=None
            if r["placed_at"] is None
            else max(0.0, (r["placed_at"] - r["registered_at"]).total_seconds() / 86400),
        )
        for r in rows
    ]
    return FairnessOut(
        computed_at=now,
        eligible_pool=len(pool),
        min_cell=MIN_CELL,
        flag_below=FLAG_BELOW,
        rows=[
            FairnessRow(
                group=row.group,
                people=row.people,
                **row.figures,
                median_days_to_placement=row.median_days_to_placement,
                ratios=row.ratios,
                flagged=list(row.flagged),
            )
            for row in report(pool)
        ],
    )
