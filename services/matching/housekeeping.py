"""Work the matching service does by itself, once a minute: holds that ran out, stale opportunities,
deletions the engines no longer need to hear of, and the nightly plan.

- A proposal's hold on a place runs out ``hold_days`` after its last step forward: it expires
  and the place is free again.
- An opportunity not confirmed for ``confirm_after_days`` is asked "still open?"
  (``opportunity.confirmation_requested``, for notifications to pass on); unanswered after
  ``stale_grace_days`` it leaves the suggestions (``opportunity.went_stale``) and its owner sees why.
- A deleted candidate's id is kept ``removals_kept_minutes`` for the engines to patch their copies with.
- Once a night, at ``plan_at`` in the region's ``timezone``, the region plan under the standing policy
  is made and kept (``handlers/plans.py``), and the fairness report's new flags are told.

Several replicas may sweep at once: each locks the rows it changes with ``SKIP LOCKED``; the
nightly plan is made by the one replica that takes its advisory lock and finds no plan for the night.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import asyncpg

from services.matching.clock import utcnow
from services.matching.db.generations import forget_removals
from services.matching.handlers.fairness import measure, raise_flags
from services.matching.handlers.plans import plan_nightly
from services.matching.handlers.staleness import ask_still_open, expire_holds, retire_unconfirmed
from services.matching.settings import MatchingSettings
from services.matching.snapshot import Engine
from shared.db.uow import UnitOfWork
from shared.service import Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")


async def _until_done(runtime: Runtime, step: Callable[[UnitOfWork], Awaitable[int]]) -> int:
    """Run ``step`` in its own transaction until it finds nothing more to do."""
    total = 0
    while True:
        async with runtime.uow() as uow:
            done = await step(uow)
            await uow.commit()
        total += done
        if done == 0:
            return total


async def sweep(runtime: Runtime, now: datetime) -> dict[str, int]:
    """One round: expire holds, ask "still open?", retire the unanswered. How many of each."""
    settings: MatchingSettings = runtime.extensions["settings"]
    return {
        "expired": await _until_done(runtime, lambda uow: expire_holds(uow, now)),
        "asked": await _until_done(runtime, lambda uow: ask_still_open(uow, settings, now)),
        "stale": await _until_done(runtime, lambda uow: retire_unconfirmed(uow, settings, now)),
        "forgotten": await _once(runtime, lambda uow: forget_removals(uow.conn, now - settings.removals_kept)),
    }


async def _once(runtime: Runtime, step: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    async with runtime.uow() as uow:
        done = await step(uow)
        await uow.commit()
    return done


async def nightly(runtime: Runtime, now: datetime, started: datetime) -> uuid.UUID | None:
    """Make the night's plan when it is due, and then tell the fairness flags new this period; the plan's id."""
    settings: MatchingSettings = runtime.extensions["settings"]
    plan_id = await plan_nightly(runtime, now, started)
    if plan_id is not None:
        _, rows = await measure(runtime, now.date())
        await _once(runtime, lambda uow: raise_flags(uow, rows, now, settings.zone))
    return plan_id


async def keep_house(runtime: Runtime) -> None:
    """Sweep every ``housekeeping_seconds`` until the service stops."""
    settings: MatchingSettings = runtime.extensions["settings"]
    started = utcnow()
    while not runtime.stop.is_set():
        try:
            counts = await sweep(runtime, utcnow())
            plan_id = await nightly(runtime, utcnow(), started)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("matching housekeeping failed; will try again", extra={"error": repr(exc)})
        else:
            if any(counts.values()):
                log.info("matching housekeeping", extra=counts)
            if plan_id is not None:
                log.info("matching made the nightly plan", extra={"plan_id": str(plan_id)})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(runtime.stop.wait(), settings.housekeeping_seconds)


async def warm_up(runtime: Runtime, engine: Engine) -> None:
    """Build the engine's copies once at start, so that the first request does not wait for it."""
    try:
        await engine.candidates(runtime.pool)
        await engine.opportunities(runtime.pool, utcnow().date())
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.warning("could not build the suggestion engine's copies at start", extra={"error": repr(exc)})


async def start(runtime: Runtime) -> None:
    """Read the settings, set up the engine's copies, start the sweeper."""
    runtime.extensions["settings"] = MatchingSettings.load()
    engine = runtime.extensions["engine"] = Engine()
    runtime.tasks.append(asyncio.create_task(warm_up(runtime, engine), name="matching-warm-up"))
    runtime.tasks.append(asyncio.create_task(keep_house(runtime), name="matching-housekeeping"))
