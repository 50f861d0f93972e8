"""Kept plans (the nightly ones) and the standing policy they apply."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from shared.db import Connection

# Nightly plans are kept this many nights; older ones go when a new one is made.
NIGHTS_KEPT = 14
# The advisory lock a replica holds while it makes the nightly plan (any other replica skips).
NIGHTLY_LOCK = 0x6D61_7463_6870_6C61  # "matchpla"


async def policy(conn: Connection) -> dict[str, Any] | None:
    """The standing policy for nightly plans, with who set it and when, or None."""
    row = await conn.fetchrow("SELECT policy, set_by, set_at FROM plan_policy")
    if row is None:
        return None
    return {"policy": row["policy"], "set_by": row["set_by"], "set_at": row["set_at"]}


async def set_policy(conn: Connection, body: dict[str, Any], set_by: str, at: dt.datetime) -> None:
    """Replace the standing policy."""
    await conn.execute(
        "INSERT INTO plan_policy (policy, set_by, set_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (only_one) DO UPDATE SET policy = $1, set_by = $2, set_at = $3",
        body,
        set_by,
        at,
    )


async def claim_night(conn: Connection, night: dt.date) -> bool:
    """In the caller's transaction: True when this replica may make ``night``'s plan (no other is making it,
    none was made)."""
    if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", NIGHTLY_LOCK):
        return False
    return not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM plans WHERE night = $1)", night)


async def last_night(conn: Connection) -> dt.date | None:
    """The night of the latest nightly plan, or None."""
    night: dt.date | None = await conn.fetchval("SELECT max(night) FROM plans")
    return night


async def save(conn: Connection, plan: dict[str, Any], assignments: Sequence[tuple[Any, ...]]) -> None:
    """Keep a plan; ``assignments`` are (participant, opportunity, score, reserved_for, quota_for, explanations).
    Nightly plans older than :data:`NIGHTS_KEPT` nights go."""
    await conn.execute(
        "INSERT INTO plans (id, night, made_at, weights_version, candidates, places, total_score, unassigned,"
        " reserved, quotas) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        plan["id"],
        plan["night"],
        plan["made_at"],
        plan["weights_version"],
        plan["candidates"],
        plan["places"],
        plan["total_score"],
        plan["unassigned"],
        plan["reserved"],
        plan["quotas"],
    )
    columns = list(zip(*assignments, strict=True)) or [()] * 6
    await conn.execute(
        "INSERT INTO plan_assignments (plan_id, participant_id, opportunity_id, score, reserved_for, quota_for,"
        " explanation) SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::numeric[], $5::text[], $6::text[],"
        " $7::jsonb[])",
        plan["id"],
        *(list(c) for c in columns),
    )
    if plan["night"] is not None:
        await conn.execute("DELETE FROM plans WHERE night < $1", plan["night"] - dt.timedelta(days=NIGHTS_KEPT))


async def latest(conn: Connection) -> asyncpg.Record | None:
    """The most recent kept plan's figures and policy, or None."""
    row: asyncpg.Record | None = await conn.fetchrow("SELECT * FROM plans ORDER BY made_at DESC LIMIT 1")
    return row


async def assignments(conn: Connection, plan_id: uuid.UUID, *, coach_id: str | None) -> list[asyncpg.Record]:
    """A kept plan's assignments of candidates still in the pool; only one coach's caseload when ``coach_id``."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT a.* FROM plan_assignments a JOIN candidates c USING (participant_id)"
        " WHERE a.plan_id = $1 AND c.matching_consent AND c.trajectory_status IN ('intake', 'active')"
        " AND ($2::text IS NULL OR c.coach_id = $2) ORDER BY a.score DESC, a.participant_id",
        plan_id,
        coach_id,
    )
    return rows


async def forget_participant(conn: Connection, participant_id: uuid.UUID) -> None:
    """Erasure or withdrawn consent: the person leaves every kept plan."""
    await conn.execute("DELETE FROM plan_assignments WHERE participant_id = $1", participant_id)
