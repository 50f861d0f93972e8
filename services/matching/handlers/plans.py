"""Region plans: made on request or nightly under the standing policy, kept, and told as ``plan.made``.

The nightly plan is made once per night of the region (``plan_at`` in ``timezone``), however many
replicas run: the one that takes the advisory lock and finds no plan for the night makes it, in
the same transaction that keeps it. A replica makes a night's plan when the planned moment passed
while it was running, or, to catch up after a night nobody was running, when nightly plans were
made before; a fresh installation makes its first at the first planned moment.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass

from services.matching.db import plans as store
from services.matching.db import reports
from services.matching.domain import WEIGHTS_VERSION
from services.matching.explain import explain
from services.matching.handlers.commands import PlanRequest, RegionQuota, Reserve
from services.matching.plan import Plan, Quota, Reservation, plan_region
from services.matching.settings import MatchingSettings
from services.matching.snapshot import Engine
from services.matching.vocabulary import LANGUAGES
from shared.db.uow import UnitOfWork
from shared.events.contracts.matching import PlanMade
from shared.service import Runtime


@dataclass(frozen=True)
class MadePlan:
    """A plan with what it was made over and the policy it applied (each quota with its places)."""

    plan: Plan
    candidates: int
    places: int
    reserved: list[Reserve]
    quotas: list[tuple[RegionQuota, int]]

    @property
    def total_score(self) -> float:
        return round(self.plan.total_units / 1000, 2)


async def make(runtime: Runtime, policy: PlanRequest, today: dt.date) -> MadePlan:
    """Plan the whole region now, every candidate in the pool and every open place, under ``policy``."""
    engine: Engine = runtime.extensions["engine"]
    candidates = await engine.candidates(runtime.pool)
    opportunities = await engine.opportunities(runtime.pool, today)
    places = sum(max(0, o.places_left) for o in opportunities.items if not o.closed)
    reservations = [Reservation(str(r.opportunity_id), r.target_group.value, r.places) for r in policy.reserved]
    quotas = [(q, q.places_of(places)) for q in policy.quotas]
    async with runtime.pool.acquire() as conn:
        groups = await reports.target_groups(conn) if reservations or quotas else {}
    plan = await asyncio.to_thread(
        plan_region,
        candidates,
        opportunities,
        engine.vocab,
        reservations,
        groups,
        [Quota(q.target_group.value, n) for q, n in quotas],
    )
    return MadePlan(plan, len(candidates.items), places, list(policy.reserved), quotas)


def due_night(
    settings: MatchingSettings, now: dt.datetime, started: dt.datetime, last: dt.date | None
) -> dt.date | None:
    """The night whose plan should be made now, or None: the latest planned moment at or before ``now``,
    unless its night has a plan; and only if it passed since ``started`` or nightly plans were made before."""
    local = now.astimezone(settings.zone)
    night = local.date() if local.time() >= settings.plan_time else local.date() - dt.timedelta(days=1)
    if last is not None and last >= night:
        return None
    moment = dt.datetime.combine(night, settings.plan_time, tzinfo=settings.zone)
    return night if moment >= started or last is not None else None


def _assignments(made: MadePlan, engine: Engine) -> list[tuple[object, ...]]:
    reserved, counted = dict(made.plan.reserved), dict(made.plan.counted)
    return [
        (
            uuid.UUID(e.candidate),
            uuid.UUID(e.opportunity),
            e.score,
            reserved.get(e.candidate),
            counted.get(e.candidate),
            {lang: explain(e, engine.vocab, lang) for lang in LANGUAGES},
        )
        for e in made.plan.assigned
    ]


async def keep(uow: UnitOfWork, runtime: Runtime, made: MadePlan, now: dt.datetime, night: dt.date | None) -> uuid.UUID:
    """Store a plan with its explanations in every language, and tell that it was made (counts only)."""
    plan_id = uuid.uuid4()
    engine: Engine = runtime.extensions["engine"]
    rows = await asyncio.to_thread(_assignments, made, engine)
    wanted = {q.target_group.value: n for q, n in made.quotas}
    met = {group: made.plan.met(group) for group in wanted}
    await store.save(
        uow.conn,
        {
            "id": plan_id,
            "night": night,
            "made_at": now,
            "weights_version": WEIGHTS_VERSION,
            "candidates": made.candidates,
            "places": made.places,
            "total_score": made.total_score,
            "unassigned": len(made.plan.unassigned),
            "reserved": [r.model_dump(mode="json") for r in made.reserved],
            "quotas": [
                {**q.model_dump(mode="json"), "wanted": n, "met": met[q.target_group.value]} for q, n in made.quotas
            ],
        },
        rows,
    )
    uow.emit(
        PlanMade(
            plan_id=plan_id,
            night=night,
            candidates=made.candidates,
            places=made.places,
            assigned=len(made.plan.assigned),
            unassigned=len(made.plan.unassigned),
            total_score=made.total_score,
            weights_version=WEIGHTS_VERSION,
            quotas_wanted=wanted,
            quotas_met=met,
        ),
        subject=str(plan_id),
    )
    return plan_id


async def make_nightly(runtime: Runtime, night: dt.date, now: dt.datetime) -> uuid.UUID | None:
    """Make and keep ``night``'s plan under the standing policy, unless another replica makes or made it."""
    async with runtime.uow() as uow:
        if not await store.claim_night(uow.conn, night):
            return None
        standing = await store.policy(uow.conn)
        policy = PlanRequest.model_validate(standing["policy"]) if standing else PlanRequest()
        made = await make(runtime, policy, now.date())
        plan_id = await keep(uow, runtime, made, now, night)
        await uow.commit()
    return plan_id


async def plan_nightly(runtime: Runtime, now: dt.datetime, started: dt.datetime) -> uuid.UUID | None:
    """Make the night's plan if it is due (:func:`due_night`); its id, or None."""
    settings: MatchingSettings = runtime.extensions["settings"]
    async with runtime.pool.acquire() as conn:
        last = await store.last_night(conn)
    night = due_night(settings, now, started, last)
    return None if night is None else await make_nightly(runtime, night, now)
