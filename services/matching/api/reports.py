"""The region plan (an optimal assignment under every place's capacity) and the fairness report."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.matching.access import Officer, PlanReader, caseload_of
from services.matching.api.language import Reader
from services.matching.api.suggestions import engine_of
from services.matching.clock import Now
from services.matching.db import plans as plan_store
from services.matching.domain import WEIGHTS_VERSION
from services.matching.explain import explain
from services.matching.fairness import FLAG_BELOW, MIN_CELL
from services.matching.handlers import plans
from services.matching.handlers.commands import PlanRequest, RegionQuota, Reserve
from services.matching.handlers.fairness import measure, raise_flags
from services.matching.settings import MatchingSettings
from shared.auth import Role
from shared.errors import NotFound
from shared.service import RuntimeDep

router = APIRouter(tags=["plan and fairness"])


class Assignment(BaseModel):
    participant_id: uuid.UUID
    opportunity_id: uuid.UUID
    score: float
    explanation: str
    reserved_for: str | None = Field(description="The target group whose reserved place this is, if it is one")
    quota_for: str | None = Field(
        default=None, description="The target group whose region-wide quota this assignment counts towards, if any"
    )


class QuotaOut(RegionQuota):
    wanted: int = Field(description="The places the quota asks for (a share counted down to whole places)")
    met: int = Field(description="Assignments that count towards it; below wanted when too few members fit")


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
    quotas: list[QuotaOut] = Field(default_factory=list, description="The region-wide quotas this plan applied")
    assigned: list[Assignment]
    unassigned: int
    plan_id: uuid.UUID | None = Field(default=None, description="A kept plan's id (nightly plans are kept)")
    night: dt.date | None = Field(default=None, description="The region's date of a nightly plan")


@router.post("/plans", response_model=PlanOut)
async def make_plan(
    runtime: RuntimeDep, principal: Officer, lang: Reader, now: Now, body: PlanRequest | None = None
) -> PlanOut:
    """Plan the whole region now: every candidate in the pool, every open place, each explained; places
    reserved for a target group go only to its members, region-wide quotas are met as far as members fit,
    and the answer says which assignments those are. Not kept: the nightly plan is."""
    made = await plans.make(runtime, body or PlanRequest(), now.date())
    vocab = engine_of(runtime).vocab
    reserved, counted = dict(made.plan.reserved), dict(made.plan.counted)
    return PlanOut(
        weights_version=WEIGHTS_VERSION,
        language=lang,
        computed_at=now,
        candidates=made.candidates,
        places=made.places,
        total_score=made.total_score,
        reserved=made.reserved,
        quotas=[QuotaOut(**q.model_dump(), wanted=n, met=made.plan.met(q.target_group.value)) for q, n in made.quotas],
        assigned=[
            Assignment(
                participant_id=uuid.UUID(e.candidate),
                opportunity_id=uuid.UUID(e.opportunity),
                score=e.score,
                explanation=explain(e, vocab, lang),
                reserved_for=reserved.get(e.candidate),
                quota_for=counted.get(e.candidate),
            )
            for e in made.plan.assigned
        ],
        unassigned=len(made.plan.unassigned),
    )


@router.get("/plans/latest", response_model=PlanOut)
async def latest_plan(runtime: RuntimeDep, principal: PlanReader, lang: Reader) -> PlanOut:
    """The latest kept (nightly) plan. A coach sees the assignments of their own caseload; the figures are the
    region's. Candidates who left the pool since (consent withdrawn, erased) are not in it."""
    coach = caseload_of(principal) if principal.role is Role.COACH else None
    async with runtime.pool.acquire() as conn:
        kept = await plan_store.latest(conn)
        if kept is None:
            raise NotFound(
                "no plan has been kept yet: the first is made at the first night's planned time"
                " (POST /plans plans now, without keeping it)"
            )
        rows = await plan_store.assignments(conn, kept["id"], coach_id=coach)
    return PlanOut(
        weights_version=kept["weights_version"],
        language=lang,
        computed_at=kept["made_at"],
        candidates=kept["candidates"],
        places=kept["places"],
        total_score=float(kept["total_score"]),
        reserved=kept["reserved"],
        quotas=kept["quotas"],
        assigned=[
            Assignment(
                participant_id=r["participant_id"],
                opportunity_id=r["opportunity_id"],
                score=float(r["score"]),
                explanation=r["explanation"][lang],
                reserved_for=r["reserved_for"],
                quota_for=r["quota_for"],
            )
            for r in rows
        ],
        unassigned=kept["unassigned"],
        plan_id=kept["id"],
        night=kept["night"],
    )


class PolicyOut(PlanRequest):
    """The standing policy every nightly plan applies."""

    set_by: str | None
    set_at: dt.datetime | None


@router.get("/plans/policy", response_model=PolicyOut)
async def get_policy(runtime: RuntimeDep, principal: Officer) -> PolicyOut:
    """The places reserved and the region-wide quotas the nightly plans apply (none until an officer sets them)."""
    async with runtime.pool.acquire() as conn:
        standing = await plan_store.policy(conn)
    if standing is None:
        return PolicyOut(set_by=None, set_at=None)
    return PolicyOut(**standing["policy"], set_by=standing["set_by"], set_at=standing["set_at"])


@router.put("/plans/policy", response_model=PolicyOut)
async def set_policy(runtime: RuntimeDep, principal: Officer, now: Now, body: PlanRequest) -> PolicyOut:
    """Set the policy of the nightly plans: visible in every plan made under it, never a weight in a score."""
    async with runtime.uow() as uow:
        await plan_store.set_policy(uow.conn, body.model_dump(mode="json"), principal.sub, now)
        await uow.commit()
    return PolicyOut(**body.model_dump(), set_by=principal.sub, set_at=now)


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
    placements, median days to placement, each against the rest; cells under ten people are not shown.
    A group flagged for the first time this month is told to the programme officers (``fairness.flagged``)."""
    pool, rows = await measure(runtime, now.date())
    settings: MatchingSettings = runtime.extensions["settings"]
    async with runtime.uow() as uow:
        await raise_flags(uow, rows, now, settings.zone)
        await uow.commit()
    return FairnessOut(
        computed_at=now,
        eligible_pool=pool,
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
            for row in rows
        ],
    )
