"""The candidate's timeline: vouchers' events about a participant (codes only), beside matching's own steps."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from shared.db import Connection


async def add(
    conn: Connection, event_id: uuid.UUID, participant_id: uuid.UUID, kind: str, reason: str | None, at: datetime
) -> None:
    """Keep one event (a redelivered one changes nothing)."""
    await conn.execute(
        "INSERT INTO timeline (event_id, participant_id, kind, reason, at) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (event_id) DO NOTHING",
        event_id,
        participant_id,
        kind,
        reason,
        at,
    )


async def of_participant(conn: Connection, participant_id: uuid.UUID, limit: int = 100) -> list[asyncpg.Record]:
    """A participant's events, newest first: vouchers' (kept here) and every step of their proposals."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM ("
        " SELECT kind, reason, at, NULL::uuid AS proposal_id, NULL::text AS title FROM timeline"
        " WHERE participant_id = $1"
        " UNION ALL"
        " SELECT 'proposal.' || s.status, s.reason, s.at, p.id, o.title FROM proposal_steps s"
        " JOIN proposals p ON p.id = s.proposal_id JOIN opportunities o ON o.id = p.opportunity_id"
        " WHERE p.participant_id = $1"
        ") AS events ORDER BY at DESC LIMIT $2",
        participant_id,
        limit,
    )
    return rows


async def forget(conn: Connection, participant_id: uuid.UUID) -> None:
    """Erasure: nothing of the person's timeline stays."""
    await conn.execute("DELETE FROM timeline WHERE participant_id = $1", participant_id)
