"""The generation of the tables the suggestion engine reads (see migrations/001_matching.sql)."""

from __future__ import annotations

from shared.db import Connection


async def generation(conn: Connection, what: str) -> int:
    """How many changing statements ``what`` (candidates or opportunities) has seen."""
    return int(await conn.fetchval("SELECT n FROM generations WHERE what = $1", what))
