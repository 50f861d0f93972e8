"""The figures programme officers see and share: outcomes per category, target groups and signals."""

from __future__ import annotations

import uuid

import asyncpg

from shared.db import Connection


async def outcome_rows(conn: Connection, programme_id: uuid.UUID) -> list[asyncpg.Record]:
    """Per category, in order: its balances, and how many applications, vouchers and redemptions it has and
    how many different people are behind each count."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT c.code, c.budget_cents, c.available_cents, c.reserved_cents, c.redeemed_cents, c.settled_cents,"
        " count(a.id) AS applications, count(DISTINCT a.participant_id) AS people,"
        " count(a.voucher_id) AS vouchers_issued,"
        " count(DISTINCT a.participant_id) FILTER (WHERE a.voucher_id IS NOT NULL) AS people_issued,"
        " count(a.id) FILTER (WHERE a.status IN ('redeemed', 'settled')) AS vouchers_redeemed,"
        " count(DISTINCT a.participant_id) FILTER (WHERE a.status IN ('redeemed', 'settled')) AS people_redeemed,"
        " count(a.id) FILTER (WHERE a.submitted_by_role = 'employer') AS by_employers,"
        " count(DISTINCT a.participant_id) FILTER (WHERE a.submitted_by_role = 'employer') AS people_by_employers,"
        " count(DISTINCT a.participant_id) FILTER (WHERE a.submitted_by_role <> 'employer') AS people_not_by_employers"
        " FROM categories c LEFT JOIN applications a ON a.programme_id = c.programme_id AND a.category = c.code"
        " WHERE c.programme_id = $1"
        " GROUP BY c.code, c.position, c.budget_cents, c.available_cents, c.reserved_cents, c.redeemed_cents,"
        " c.settled_cents ORDER BY c.position",
        programme_id,
    )
    return rows


async def target_group_counts(conn: Connection, programme_id: uuid.UUID) -> dict[str, dict[str, int]]:
    """Per category, how many people declared each target group on their applications."""
    rows = await conn.fetch(
        "SELECT category, g AS target_group, count(DISTINCT participant_id) AS n"
        " FROM applications, unnest(target_groups) AS g"
        " WHERE programme_id = $1 GROUP BY category, g",
        programme_id,
    )
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        counts.setdefault(r["category"], {})[r["target_group"]] = int(r["n"])
    return counts


async def signal_rows(conn: Connection, programme_id: uuid.UUID) -> list[asyncpg.Record]:
    """What the signals are computed from: one row per application."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT category, submitted_by_role, employer_size, provider_id, course_id, target_groups, amount_cents,"
        " (reserved OR status IN ('redeemed', 'settled')) AS funded FROM applications WHERE programme_id = $1",
        programme_id,
    )
    return rows
