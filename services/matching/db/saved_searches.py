"""Coaches' saved searches, and the opportunities each has found."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.db import Connection


async def insert(conn: Connection, search_id: uuid.UUID, owner: str, fields: dict[str, Any], at: datetime) -> None:
    """A new saved search; ``fields`` are its criteria (participant_id, occupation, kind, area, radius_km)."""
    await conn.execute(
        "INSERT INTO saved_searches (id, owner, participant_id, occupation, kind, area, radius_km, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        search_id,
        owner,
        fields.get("participant_id"),
        fields.get("occupation"),
        fields.get("kind"),
        fields.get("area"),
        fields.get("radius_km"),
        at,
    )


async def get(conn: Connection, search_id: uuid.UUID) -> asyncpg.Record | None:
    """One saved search, or None."""
    row: asyncpg.Record | None = await conn.fetchrow("SELECT * FROM saved_searches WHERE id = $1", search_id)
    return row


async def of_owner(conn: Connection, owner: str) -> list[asyncpg.Record]:
    """An account's saved searches, newest first, each with how many places it found and the newest one."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT s.*, count(h.opportunity_id) AS hits, max(h.at) AS last_hit FROM saved_searches s"
        " LEFT JOIN saved_search_hits h ON h.search_id = s.id WHERE s.owner = $1"
        " GROUP BY s.id ORDER BY s.created_at DESC, s.id",
        owner,
    )
    return rows


async def hits(conn: Connection, search_id: uuid.UUID, limit: int = 20) -> list[asyncpg.Record]:
    """The places a search found, newest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT o.id, o.title, o.kind, o.occupation, o.postcode, h.at FROM saved_search_hits h"
        " JOIN opportunities o ON o.id = h.opportunity_id WHERE h.search_id = $1 ORDER BY h.at DESC LIMIT $2",
        search_id,
        limit,
    )
    return rows


async def delete(conn: Connection, search_id: uuid.UUID) -> None:
    """Remove a saved search and what it found."""
    await conn.execute("DELETE FROM saved_searches WHERE id = $1", search_id)


async def forget_participant(conn: Connection, participant_id: uuid.UUID) -> None:
    """Erasure: searches saved for the person go."""
    await conn.execute("DELETE FROM saved_searches WHERE participant_id = $1", participant_id)


async def candidates_for(conn: Connection, occupation: str, kind: str) -> list[asyncpg.Record]:
    """The saved searches an opportunity of ``occupation`` and ``kind`` may fit (area and candidate checked after)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM saved_searches WHERE (occupation IS NULL OR occupation = $1) AND (kind IS NULL OR kind = $2)"
        " ORDER BY id",
        occupation,
        kind,
    )
    return rows


async def record_hit(conn: Connection, search_id: uuid.UUID, opportunity_id: uuid.UUID, at: datetime) -> bool:
    """Remember that a search found an opportunity; False when it had already."""
    found = await conn.fetchval(
        "INSERT INTO saved_search_hits (search_id, opportunity_id, at) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING search_id",
        search_id,
        opportunity_id,
        at,
    )
    return found is not None
