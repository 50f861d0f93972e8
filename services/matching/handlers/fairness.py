"""The fairness report over the region as it is now, and its flags: said once per group and period.

A group's flag (``fairness.flagged``) is raised the first time in a period (a calendar month in
the region's timezone) that one of its figures falls below four-fifths of the rest's, whether an
officer's request or the nightly run computed the report; programme officers hear of it through
notifications. Target groups are counted here, never scored.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from services.matching.batch import Candidates, Opportunities, in_top
from services.matching.db import reports
from services.matching.fairness import FLAG_BELOW, Person, Row, report
from services.matching.snapshot import Engine
from shared.db.uow import UnitOfWork
from shared.events.contracts.matching import FairnessFlagged
from shared.service import Runtime

# Who is in someone's top ten, kept with the engine's copies it was ranked from: ranking every
# candidate is the report's heavy part, and it is the same until a candidate or a place changes.
TOP10 = "matching.fairness.top10"


async def measure(runtime: Runtime, today: dt.date) -> tuple[int, list[Row]]:
    """The eligible pool's size and the report's rows, as of now."""
    engine: Engine = runtime.extensions["engine"]
    candidates = await engine.candidates(runtime.pool)
    opportunities = await engine.opportunities(runtime.pool, today)
    cached: tuple[Candidates, Opportunities, set[str]] | None = runtime.extensions.get(TOP10)
    if cached is not None and cached[0] is candidates and cached[1] is opportunities:
        in_top10 = cached[2]  # nobody and no place changed since: the same ranking
    else:
        top = await asyncio.to_thread(in_top, candidates, opportunities)
        in_top10 = {c.id for c, t in zip(candidates.items, top.tolist(), strict=True) if t}
        runtime.extensions[TOP10] = (candidates, opportunities, in_top10)
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
    return len(pool), report(pool)


def period_of(now: dt.datetime, zone: ZoneInfo) -> str:
    """The period a flag is said once in: the region's calendar month, e.g. 2026-05."""
    return now.astimezone(zone).strftime("%Y-%m")


async def raise_flags(uow: UnitOfWork, rows: list[Row], now: dt.datetime, zone: ZoneInfo) -> list[str]:
    """Tell of every flagged group not told of yet this period; the groups told of now."""
    period, told = period_of(now, zone), []
    for row in rows:
        if not row.flagged or row.people is None:
            continue
        if await reports.raise_flag(uow.conn, row.group, period, row.flagged, now):
            ratios = {m: r for m in row.flagged if (r := row.ratios[m]) is not None}
            uow.emit(
                FairnessFlagged(
                    group=row.group,
                    period=period,
                    people=row.people,
                    metrics=list(row.flagged),
                    ratios=ratios,
                    flag_below=FLAG_BELOW,
                ),
                subject=f"{row.group}/{period}",
            )
            told.append(row.group)
    return told
