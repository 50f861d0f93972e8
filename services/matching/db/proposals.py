"""Proposals of candidates for opportunities, and every step each went through."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.matching.domain import HOLDING
from shared.db import Connection


async def insert(
    conn: Connection,
    proposal_id: uuid.UUID,
    *,
    opportunity_id: uuid.UUID,
    employer_id: uuid.UUID,
    participant_id: uuid.UUID,
    coach_id: str | None,
    proposed_by: str,
    hold_until: datetime,
    score: float,
    weights_version: str,
    explanation: dict[str, str],
    now: datetime,
) -> bool:
    """A new proposal holding a place; False when the person already has an open one for this opportunity."""
    inserted = await conn.fetchval(
        "INSERT INTO proposals (id, opportunity_id, employer_id, participant_id, coach_id, proposed_by, status,"
        " holds_place, hold_until, score, weights_version, explanation, created_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, 'proposed', true, $7, $8, $9, $10, $11, $11)"
        " ON CONFLICT (participant_id, opportunity_id)"
        " WHERE status IN ('proposed', 'interested', 'interview', 'placed', 'retained') DO NOTHING RETURNING id",
        proposal_id,
        opportunity_id,
        employer_id,
        participant_id,
        coach_id,
        proposed_by,
        hold_until,
        score,
        weights_version,
        json.dumps(explanation),
        now,
    )
    return inserted is not None


async def add_step(
    conn: Connection, proposal_id: uuid.UUID, status: str, *, reason: str | None, by_role: str, at: datetime
) -> None:
    """Record one step of a proposal."""
    await conn.execute(
        "INSERT INTO proposal_steps (proposal_id, status, reason, by_role, at) VALUES ($1, $2, $3, $4, $5)",
        proposal_id,
        status,
        reason,
        by_role,
        at,
    )


async def set_status(
    conn: Connection,
    proposal_id: uuid.UUID,
    *,
    status: str,
    holds_place: bool,
    hold_until: datetime | None,
    reason: str | None,
    retained_months: int | None,
    now: datetime,
) -> None:
    """Move a proposal to ``status``."""
    await conn.execute(
        "UPDATE proposals SET status = $2, holds_place = $3, hold_until = $4, reason = COALESCE($5, reason),"
        " retained_months = COALESCE($6, retained_months), updated_at = $7,"
        " placed_at = CASE WHEN $2 = 'placed' THEN $7 ELSE placed_at END WHERE id = $1",
        proposal_id,
        status,
        holds_place,
        hold_until,
        reason,
        retained_months,
        now,
    )


async def get(conn: Connection, proposal_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    """One proposal, or None."""
    lock = " FOR UPDATE" if for_update else ""
    row: asyncpg.Record | None = await conn.fetchrow(f"SELECT * FROM proposals WHERE id = $1{lock}", proposal_id)
    return row


async def steps(conn: Connection, proposal_id: uuid.UUID) -> list[asyncpg.Record]:
    """A proposal's steps, oldest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT status, reason, by_role, at FROM proposal_steps WHERE proposal_id = $1 ORDER BY at, status",
        proposal_id,
    )
    return rows


async def list_proposals(
    conn: Connection,
    *,
    employer_id: uuid.UUID | None = None,
    coach_id: str | None = None,
    participant_id: uuid.UUID | None = None,
    opportunity_id: uuid.UUID | None = None,
    status: str | None = None,
    limit: int,
    offset: int,
) -> list[asyncpg.Record]:
    """Proposals newest first, narrowed by whichever of the filters is given."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM proposals WHERE ($1::uuid IS NULL OR employer_id = $1) AND ($2::text IS NULL OR coach_id = $2)"
        " AND ($3::uuid IS NULL OR participant_id = $3) AND ($4::uuid IS NULL OR opportunity_id = $4)"
        " AND ($5::text IS NULL OR status = $5) ORDER BY created_at DESC, id LIMIT $6 OFFSET $7",
        employer_id,
        coach_id,
        participant_id,
        opportunity_id,
        status,
        limit,
        offset,
    )
    return rows


async def for_candidate(
    conn: Connection, participant_id: uuid.UUID, *, limit: int, offset: int
) -> list[asyncpg.Record]:
    """The person's own proposals newest first, each with what they may know of its place and employer."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT p.id, p.opportunity_id, o.title, o.kind, o.hours, o.start_date, o.country, o.postcode,"
        " e.name AS employer_name, p.status, p.hold_until, p.created_at AS proposed_at, p.updated_at AS status_since"
        " FROM proposals p JOIN opportunities o ON o.id = p.opportunity_id"
        " LEFT JOIN employers e ON e.id = p.employer_id"
        " WHERE p.participant_id = $1 ORDER BY p.created_at DESC, p.id LIMIT $2 OFFSET $3",
        participant_id,
        limit,
        offset,
    )
    return rows


async def open_of_participant(conn: Connection, participant_id: uuid.UUID) -> list[asyncpg.Record]:
    """A person's proposals that still hold a place or a placement, locked."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM proposals WHERE participant_id = $1 AND status = ANY($2::text[]) ORDER BY id FOR UPDATE",
        participant_id,
        sorted(HOLDING),
    )
    return rows


async def holding_for(conn: Connection, opportunity_id: uuid.UUID) -> list[asyncpg.Record]:
    """Proposals still holding a place of an opportunity, locked."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM proposals WHERE opportunity_id = $1 AND holds_place ORDER BY id FOR UPDATE", opportunity_id
    )
    return rows


async def due_for_expiry(conn: Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Proposals whose hold ran out, locked, skipping those another sweeper holds."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM proposals WHERE holds_place AND hold_until <= $1 ORDER BY hold_until LIMIT $2"
        " FOR UPDATE SKIP LOCKED",
        now,
        limit,
    )
    return rows


async def unlink_participant(conn: Connection, participant_id: uuid.UUID) -> None:
    """Erasure: every proposal of the person keeps its figures under a fresh random id that links to nothing."""
    await conn.execute(
        "UPDATE proposals SET participant_id = $2, coach_id = NULL WHERE participant_id = $1",
        participant_id,
        uuid.uuid4(),
    )


def explanation_of(row: Any) -> dict[str, str]:
    """The stored explanation of a proposal, by language."""
    value = row["explanation"]
    parsed: dict[str, str] = json.loads(value) if isinstance(value, str) else dict(value)
    return parsed
