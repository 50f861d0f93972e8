"""What the inflow report counts: candidates arriving in matching per week, per declared target group."""

from __future__ import annotations

import datetime as dt

import asyncpg

from shared.db import Connection


async def weekly(conn: Connection, since: dt.date) -> list[asyncpg.Record]:
    """Per ISO week (its Monday) from ``since``: candidates who arrived (``group`` null) and per target group."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "WITH arrived AS ("
        "  SELECT (date_trunc('week', registered_at AT TIME ZONE 'UTC'))::date AS week, target_groups"
        "  FROM candidates WHERE registered_at >= $1::date)"
        " SELECT week, NULL::text AS target_group, count(*) AS people FROM arrived GROUP BY week"
        " UNION ALL"
        " SELECT week, g AS target_group, count(*) AS people FROM arrived, unnest(target_groups) AS g"
        " GROUP BY week, g",
        since,
    )
    return rows
