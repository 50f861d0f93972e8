"""What intake tests look at: the events it published and the rows it holds, read as an administrator."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from tests.support.platform import Platform
from tests.support.waiting import eventually


async def fetch(platform: Platform, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Rows of a query run as the database administrator."""
    conn = await asyncpg.connect(platform.admin_dsn)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
        return rows
    finally:
        await conn.close()


async def published(platform: Platform) -> list[dict[str, Any]]:
    """Every envelope on the INTAKE stream, once the outbox has been relayed completely."""

    async def outbox_empty() -> bool:
        remaining: int = (await fetch(platform, "SELECT count(*) AS n FROM intake.outbox"))[0]["n"]
        return remaining == 0

    await eventually(outbox_empty)
    return [json.loads(body) for body in await platform.stream_messages("INTAKE")]


async def event_types(platform: Platform) -> list[str]:
    """The types of every published intake event, in order."""
    return [e["type"] for e in await published(platform)]


async def table_counts(platform: Platform) -> dict[str, int]:
    """Rows per table of the intake schema.

    Migration bookkeeping and the outbox (a queue the relay drains on its own schedule; what
    was published is checked through the stream) are left out.
    """
    tables = await fetch(
        platform,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'intake'"
        " AND table_name NOT IN ('schema_migrations', 'outbox') ORDER BY 1",
    )
    counts = {}
    for t in tables:
        name = t["table_name"]
        counts[name] = (await fetch(platform, f'SELECT count(*) AS n FROM intake."{name}"'))[0]["n"]
    return counts
