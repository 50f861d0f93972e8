"""Work the matching service does by itself, once a minute: holds that ran out, and stale opportunities.

- A proposal's hold on a place runs out ``hold_days`` after its last step forward: it expires
  and the place is free again.
- An opportunity not confirmed for ``confirm_after_days`` is asked "still open?"
  (``opportunity.confirmation_requested``, for notifications to pass on); unanswered after
  ``stale_grace_days`` it leaves the suggestions (``opportunity.went_stale``) and its owner sees why.

Several replicas may sweep at once: each locks the rows it changes with ``SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import asyncpg

from services.matching.clock import utcnow
from services.matching.handlers.staleness import ask_still_open, expire_holds, retire_unconfirmed
from services.matching.settings import MatchingSettings
from services.matching.snapshot import Engine
from shared.db.uow import UnitOfWork
from shared.service import Runtime

log = logging.getLogger(__name__)


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
    }


async def keep_house(runtime: Runtime) -> None:
    """Sweep every ``housekeeping_seconds`` until the service stops."""
    settings: MatchingSettings = runtime.extensions["settings"]
    while not runtime.stop.is_set():
        try:
            counts = await sweep(runtime, utcnow())
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("matching housekeeping failed; will try again", extra={"error": repr(exc)})
        else:
            if any(counts.values()):
                log.info("matching housekeeping", extra=counts)
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
