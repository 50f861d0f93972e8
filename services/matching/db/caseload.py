"""What the coach's pages read beyond the API's own queries: the caseload with each person's latest step."""

from __future__ import annotations

import uuid

import asyncpg

from shared.db import Connection

# The proposal states a candidate's next action is read from, most advanced first.
OPEN = ("retained", "placed", "interview", "interested", "proposed")


async def caseload(conn: Connection, coach_id: str | None, *, limit: int, offset: int) -> list[asyncpg.Record]:
    """A coach's candidates (every candidate when ``coach_id`` is None), longest without a step first.

    Each row has the profile's status, its open proposals (``open_statuses``) and ``last_action``:
    the newest of the profile's last change, a proposal's step and a vouchers event.
    """
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT c.participant_id, c.trajectory_status, c.matching_consent, c.situation, c.registered_at,"
        " p.open_statuses, GREATEST(c.updated_at, p.last_step, t.last_event) AS last_action"
        " FROM candidates c"
        " LEFT JOIN LATERAL (SELECT max(updated_at) AS last_step,"
        "   array_agg(status) FILTER (WHERE status = ANY($4::text[])) AS open_statuses"
        "   FROM proposals WHERE participant_id = c.participant_id) p ON true"
        " LEFT JOIN LATERAL (SELECT max(at) AS last_event FROM timeline"
        "   WHERE participant_id = c.participant_id) t ON true"
        " WHERE ($1::text IS NULL OR c.coach_id = $1)"
        " ORDER BY last_action, c.participant_id LIMIT $2 OFFSET $3",
        coach_id,
        limit,
        offset,
        list(OPEN),
    )
    return rows


async def count(conn: Connection, coach_id: str | None) -> int:
    """How many candidates the caseload has."""
    found: int = await conn.fetchval(
        "SELECT count(*) FROM candidates WHERE ($1::text IS NULL OR coach_id = $1)", coach_id
    )
    return found


async def pipeline(conn: Connection, coach_id: str | None, limit: int) -> list[asyncpg.Record]:
    """A coach's proposals that are open or changed in the last 30 days, newest step first, with their place."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT p.id, p.participant_id, p.opportunity_id, p.status, p.hold_until, p.reason, p.updated_at,"
        " o.title, o.kind FROM proposals p JOIN opportunities o ON o.id = p.opportunity_id"
        " WHERE ($1::text IS NULL OR p.coach_id = $1)"
        " AND (p.status = ANY($2::text[]) OR p.updated_at > now() - interval '30 days')"
        " ORDER BY p.updated_at DESC, p.id LIMIT $3",
        coach_id,
        [*OPEN],
        limit,
    )
    return rows


async def proposal_card(conn: Connection, proposal_id: uuid.UUID) -> asyncpg.Record | None:
    """One proposal as the pipeline shows it (access is checked by the caller)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT p.id, p.participant_id, p.opportunity_id, p.status, p.hold_until, p.reason, p.updated_at,"
        " p.coach_id, p.employer_id, o.title, o.kind FROM proposals p"
        " JOIN opportunities o ON o.id = p.opportunity_id WHERE p.id = $1",
        proposal_id,
    )
    return row


async def of_candidate(conn: Connection, participant_id: uuid.UUID) -> list[asyncpg.Record]:
    """A candidate's proposals, newest first, with their place."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT p.id, p.participant_id, p.opportunity_id, p.status, p.hold_until, p.reason, p.updated_at,"
        " o.title, o.kind FROM proposals p JOIN opportunities o ON o.id = p.opportunity_id"
        " WHERE p.participant_id = $1 ORDER BY p.updated_at DESC, p.id LIMIT 50",
        participant_id,
    )
    return rows
