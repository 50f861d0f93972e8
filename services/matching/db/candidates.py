"""Candidate profiles: intake's non-personal attributes of a participant plus what their coach adds."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from shared.db import Connection

# What a coach may add or change; everything else comes from intake's events.
ADDITIONS = (
    "hours_min",
    "hours_max",
    "available_from",
    "travel_radius_km",
    "driving_licence",
    "language_level",
    "preferred_kinds",
)
# Candidates the engine may suggest: matching consent, and a trajectory that is not over.
IN_POOL = "matching_consent AND trajectory_status IN ('intake', 'active')"


async def upsert_profile(
    conn: Connection,
    participant_id: uuid.UUID,
    *,
    coach_id: str | None,
    situation: str,
    age_group: str,
    postcode_area: str | None,
    education_level: str | None,
    skills: Sequence[str],
    desired_occupations: Sequence[str],
    target_groups: Sequence[str],
    trajectory_status: str,
) -> None:
    """Keep intake's current profile of a participant; what the coach added stays."""
    await conn.execute(
        "INSERT INTO candidates (participant_id, coach_id, situation, age_group, postcode_area, education_level,"
        " skills, desired_occupations, target_groups, trajectory_status)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (participant_id) DO UPDATE SET coach_id = $2, situation = $3, age_group = $4,"
        " postcode_area = $5, education_level = $6, skills = $7, desired_occupations = $8, target_groups = $9,"
        " trajectory_status = $10, updated_at = now()",
        participant_id,
        coach_id,
        situation,
        age_group,
        postcode_area,
        education_level,
        list(skills),
        list(desired_occupations),
        list(target_groups),
        trajectory_status,
    )


async def set_field(conn: Connection, participant_id: uuid.UUID, field: str, value: Any) -> None:
    """Change one intake-fed column of a known candidate."""
    if field not in ("situation", "coach_id", "trajectory_status", "matching_consent"):
        raise ValueError(f"not a candidate field fed by intake: {field}")
    await conn.execute(
        f"UPDATE candidates SET {field} = $2, updated_at = now() WHERE participant_id = $1", participant_id, value
    )


async def forget_target_groups(conn: Connection, participant_id: uuid.UUID) -> None:
    """Without consent for matching or reporting, declared target groups are not kept, not even for monitoring."""
    await conn.execute(
        "UPDATE candidates SET target_groups = '{}', updated_at = now() WHERE participant_id = $1", participant_id
    )


async def set_additions(conn: Connection, participant_id: uuid.UUID, changes: Mapping[str, Any]) -> None:
    """Store what the coach added (only :data:`ADDITIONS`)."""
    unknown = set(changes) - set(ADDITIONS)
    if unknown:
        raise ValueError(f"not a coach's addition: {sorted(unknown)}")
    if not changes:
        return
    names = list(changes)
    assignments = ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(names))
    await conn.execute(
        f"UPDATE candidates SET {assignments}, updated_at = now() WHERE participant_id = $1",
        participant_id,
        *(changes[n] for n in names),
    )


async def delete(conn: Connection, participant_id: uuid.UUID) -> None:
    """Erasure: the profile goes entirely."""
    await conn.execute("DELETE FROM candidates WHERE participant_id = $1", participant_id)


async def get(conn: Connection, participant_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    """One candidate, or None."""
    lock = " FOR UPDATE" if for_update else ""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT * FROM candidates WHERE participant_id = $1{lock}", participant_id
    )
    return row


async def list_candidates(conn: Connection, *, coach_id: str | None, limit: int, offset: int) -> list[asyncpg.Record]:
    """Candidates, oldest first; only one coach's caseload when ``coach_id`` is given."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM candidates WHERE ($1::text IS NULL OR coach_id = $1)"
        " ORDER BY registered_at, participant_id LIMIT $2 OFFSET $3",
        coach_id,
        limit,
        offset,
    )
    return rows


async def pool_of_coach(conn: Connection, coach_id: str) -> list[asyncpg.Record]:
    """A coach's candidates the engine may suggest."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT * FROM candidates WHERE coach_id = $1 AND {IN_POOL} ORDER BY participant_id", coach_id
    )
    return rows


async def pool(conn: Connection) -> list[asyncpg.Record]:
    """Every candidate the engine may suggest."""
    rows: list[asyncpg.Record] = await conn.fetch(f"SELECT * FROM candidates WHERE {IN_POOL} ORDER BY participant_id")
    return rows


async def get_many(conn: Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    """The candidates named, by id (an erased one is missing)."""
    rows = await conn.fetch("SELECT * FROM candidates WHERE participant_id = ANY($1::uuid[])", ids)
    return {r["participant_id"]: r for r in rows}
