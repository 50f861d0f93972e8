"""The generations of the tables the suggestion engine reads (see migrations/001_matching.sql)."""

from __future__ import annotations

import asyncpg

from shared.db import Connection


async def generation(conn: Connection, what: str) -> tuple[int, int]:
    """``what``'s (candidates or opportunities) generation, and how many deleting statements it has seen."""
    row = await conn.fetchrow("SELECT n, removed FROM generations WHERE what = $1", what)
    assert row is not None, f"no generation of {what}: the migrations put one in"
    return int(row["n"]), int(row["removed"])


async def changed_since(conn: Connection, what: str, seen: int) -> list[asyncpg.Record]:
    """The rows of ``what`` written after generation ``seen``."""
    table = {"candidates": "candidates", "opportunities": "opportunities"}[what]
    rows: list[asyncpg.Record] = await conn.fetch(f"SELECT * FROM {table} WHERE gen > $1", seen)
    return rows
