"""Reading the append-only ledger: its entries, their sums and the burn-down over time."""

from __future__ import annotations

import uuid

import asyncpg

from shared.db import Connection


async def ledger_entries(
    conn: Connection, programme_id: uuid.UUID, *, after_seq: int, limit: int
) -> list[asyncpg.Record]:
    """Ledger entries of a programme in order."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM ledger WHERE programme_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        programme_id,
        after_seq,
        limit,
    )
    return rows


async def ledger_totals(conn: Connection, programme_id: uuid.UUID) -> dict[str, dict[str, int]]:
    """Per category, the sums of the ledger's deltas: what the balances must be."""
    rows = await conn.fetch(
        "SELECT category, sum(d_budget)::bigint AS budget, sum(d_available)::bigint AS available,"
        " sum(d_reserved)::bigint AS reserved, sum(d_redeemed)::bigint AS redeemed,"
        " sum(d_settled)::bigint AS settled, count(*) AS entries"
        " FROM ledger WHERE programme_id = $1 GROUP BY category",
        programme_id,
    )
    fields = ("budget", "available", "reserved", "redeemed", "settled", "entries")
    return {r["category"]: {k: int(r[k]) for k in fields} for r in rows}


async def burn_down_series(conn: Connection, programme_id: uuid.UUID, bucket: str) -> list[asyncpg.Record]:
    """Per category and time bucket, the last balance in that bucket."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT DISTINCT ON (category, t) category, date_trunc($2, at) AS t, budget_after, available_after"
        " FROM ledger WHERE programme_id = $1 ORDER BY category, t, seq DESC",
        programme_id,
        bucket,
    )
    return rows
