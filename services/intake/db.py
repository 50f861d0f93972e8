"""SQL of the intake service."""

from __future__ import annotations

import uuid

import asyncpg

from shared.db import Connection


async def insert_participant(
    conn: Connection,
    *,
    participant_id: uuid.UUID,
    name: str,
    email: str | None,
    situation: str,
    coach_id: str | None,
    registered_by: str,
) -> asyncpg.Record:
    """Store a new participant and return the row."""
    row = await conn.fetchrow(
        "INSERT INTO participants (id, name, email, situation, coach_id, registered_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        participant_id,
        name,
        email,
        situation,
        coach_id,
        registered_by,
    )
    assert row is not None
    return row


async def get_participant(conn: Connection, participant_id: uuid.UUID) -> asyncpg.Record | None:
    """One participant, or None."""
    row: asyncpg.Record | None = await conn.fetchrow("SELECT * FROM participants WHERE id = $1", participant_id)
    return row
