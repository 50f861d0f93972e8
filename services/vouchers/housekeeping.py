"""Work the vouchers service does by itself: announcements a crash interrupted, and expiry.

After a programme's redemption deadline, unclaimed vouchers and applications still waiting
expire and their money returns to the budget. A sweeper does that once a minute, so nobody
has to remember to call ``POST /programmes/{id}/expire-due`` (which does the same at once).
Several replicas may sweep at the same time: each locks the rows it expires with ``SKIP
LOCKED``, so a row is expired once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

import asyncpg

from services.vouchers.clock import utcnow
from services.vouchers.db.applications import programmes_with_open_items_due
from services.vouchers.db.money import lock_category
from services.vouchers.db.programmes import category_keys
from services.vouchers.handlers.expiry import expire_due
from services.vouchers.handlers.thresholds import announce_thresholds
from shared.service import Runtime

log = logging.getLogger(__name__)

EXPIRY_SWEEP_SECONDS = 60.0


async def catch_up_thresholds(runtime: Runtime) -> None:
    """Announce any 80/90/100% threshold whose announcement a crash interrupted."""
    async with runtime.pool.acquire() as conn:
        rows = await category_keys(conn)
    for row in rows:
        async with runtime.uow() as uow:
            money = await lock_category(uow.conn, row["programme_id"], row["code"])
            if money is not None:
                await announce_thresholds(uow, row["programme_id"], row["code"], money)
            await uow.commit()


async def expire_overdue(runtime: Runtime, now: datetime) -> int:
    """Expire what is left open in every programme whose redemption deadline has passed."""
    async with runtime.pool.acquire() as conn:
        programmes = await programmes_with_open_items_due(conn, now)
    expired = 0
    for programme_id in programmes:
        async with runtime.uow() as uow:
            expired += await expire_due(uow, programme_id, now=now)
            await uow.commit()
    return expired


async def sweep_expired(runtime: Runtime) -> None:
    """Expire overdue vouchers once a minute until the service stops."""
    while not runtime.stop.is_set():
        try:
            expired = await expire_overdue(runtime, utcnow())
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("expiry sweep failed; will try again", extra={"error": repr(exc)})
        else:
            if expired:
                log.info("expired overdue vouchers and applications", extra={"count": expired})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(runtime.stop.wait(), EXPIRY_SWEEP_SECONDS)


async def start(runtime: Runtime) -> None:
    """Catch up interrupted announcements, then start the expiry sweeper."""
    await catch_up_thresholds(runtime)
    runtime.tasks.append(asyncio.create_task(sweep_expired(runtime), name="expiry-sweeper"))
