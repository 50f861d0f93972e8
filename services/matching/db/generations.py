"""The generations of the tables the suggestion engine reads (migrations/001_matching.sql), and the rows
deleted since a generation (migrations/003_plans_and_removals.sql)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from shared.db import Connection


async def generation(conn: Connection, what: str) -> tuple[int, int]:
    """``what``'s (candidates or opportunities) generation, and the highest generation whose deletions
    are forgotten (a copy older than that cannot be patched)."""
    row = await conn.fetchrow("SELECT n, forgotten FROM generations WHERE what = $1", what)
    assert row is not None, f"no generation of {what}: the migrations put one in"
    return int(row["n"]), int(row["forgotten"])


async def changed_since(conn: Connection, what: str, seen: int) -> list[asyncpg.Record]:
    """The rows of ``what`` written after generation ``seen``."""
    table = {"candidates": "candidates", "opportunities": "opportunities"}[what]
    rows: list[asyncpg.Record] = await conn.fetch(f"SELECT * FROM {table} WHERE gen > $1", seen)
    return rows


async def removed_since(conn: Connection, what: str, seen: int) -> list[str]:
    """The ids of the rows of ``what`` deleted after generation ``seen``."""
    rows = await conn.fetch("SELECT id FROM removals WHERE what = $1 AND gen > $2", what, seen)
    return [str(r["id"]) for r in rows]


async def forget_removals(conn: Connection, before: datetime) -> int:
    """Forget the deletions recorded before ``before``; readers whose copy is older read whole. How many."""
    rows = await conn.fetch("DELETE FROM removals WHERE at < $1 RETURNING what, gen", before)
    newest: dict[str, int] = {}
    for r in rows:
        newest[r["what"]] = max(newest.get(r["what"], 0), int(r["gen"]))
    for what, gen in newest.items():
        await conn.execute("UPDATE generations SET forgotten = greatest(forgotten, $2) WHERE what = $1", what, gen)
    return len(rows)
