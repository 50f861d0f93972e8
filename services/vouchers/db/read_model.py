"""The read model of intake's participants, employers, providers and courses.

Filled from intake's events (:mod:`services.vouchers.subscribers`) and read when an application is filed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from shared.db import Connection
from shared.db.arrays import columns


async def upsert_participant(
    conn: Connection,
    participant_id: uuid.UUID,
    *,
    situation: str,
    age_group: str,
    target_groups: Sequence[str],
    coach_id: str | None,
) -> None:
    """Remember what vouchers needs to know about a participant."""
    await conn.execute(
        "INSERT INTO participants (id, situation, age_group, target_groups, coach_id) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (id) DO UPDATE SET situation = $2, age_group = $3, target_groups = $4, coach_id = $5,"
        " updated_at = now()",
        participant_id,
        situation,
        age_group,
        list(target_groups),
        coach_id,
    )


async def upsert_participants(
    conn: Connection, rows: Sequence[tuple[uuid.UUID, str, str, list[str], str | None]]
) -> None:
    """Bulk form of :func:`upsert_participant` (imports and benchmarks)."""
    await conn.executemany(
        "INSERT INTO participants (id, situation, age_group, target_groups, coach_id) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (id) DO UPDATE SET situation = $2, age_group = $3, target_groups = $4, coach_id = $5",
        rows,
    )


async def set_participant_field(conn: Connection, participant_id: uuid.UUID, field: str, value: Any) -> None:
    """Change one column of a known participant (``situation`` or ``coach_id``)."""
    if field not in ("situation", "coach_id"):
        raise ValueError(f"not a participant field: {field}")
    await conn.execute(f"UPDATE participants SET {field} = $2, updated_at = now() WHERE id = $1", participant_id, value)


async def lock_participant(conn: Connection, participant_id: uuid.UUID) -> None:
    """Lock a participant's read-model row for the transaction: filings of them wait, or see them gone."""
    await conn.execute("SELECT 1 FROM participants WHERE id = $1 FOR UPDATE", participant_id)


async def erase_participant(conn: Connection, participant_id: uuid.UUID) -> uuid.UUID:
    """Cut every link to a participant but keep the money trail under a fresh pseudonym.

    Officers' notes on their applications go too: written about the person, they may name them.
    """
    pseudonym = uuid.uuid4()
    await conn.execute(
        "DELETE FROM idempotency_keys WHERE principal = $1"
        " OR application_id IN (SELECT id FROM applications WHERE participant_id = $2)",
        str(participant_id),
        participant_id,
    )
    await conn.execute(
        "UPDATE applications SET participant_id = $2, target_groups = '{}', officer_note = NULL,"
        " submitted_by = CASE WHEN submitted_by_role = 'participant' THEN NULL ELSE submitted_by END,"
        " updated_at = now() WHERE participant_id = $1",
        participant_id,
        pseudonym,
    )
    await conn.execute("UPDATE holdings SET participant_id = $2 WHERE participant_id = $1", participant_id, pseudonym)
    await conn.execute(
        "UPDATE yearly_holdings SET participant_id = $2 WHERE participant_id = $1", participant_id, pseudonym
    )
    await conn.execute("DELETE FROM participants WHERE id = $1", participant_id)
    return pseudonym


async def forget_target_groups(conn: Connection, participant_id: uuid.UUID) -> None:
    """Drop a person's declared target groups from the read model and from their applications."""
    await conn.execute("UPDATE participants SET target_groups = '{}', updated_at = now() WHERE id = $1", participant_id)
    await conn.execute(
        "UPDATE applications SET target_groups = '{}', updated_at = now()"
        " WHERE participant_id = $1 AND target_groups <> '{}'",
        participant_id,
    )


async def upsert_employer(conn: Connection, employer_id: uuid.UUID, *, size_class: str, sector: str) -> None:
    """Remember an employer's size class and sector."""
    await conn.execute(
        "INSERT INTO employers (id, size_class, sector) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO UPDATE SET size_class = $2, sector = $3, updated_at = now()",
        employer_id,
        size_class,
        sector,
    )


async def upsert_provider(conn: Connection, provider_id: uuid.UUID, *, accredited: bool) -> None:
    """Remember a provider."""
    await conn.execute(
        "INSERT INTO providers (id, accredited) VALUES ($1, $2)"
        " ON CONFLICT (id) DO UPDATE SET accredited = $2, updated_at = now()",
        provider_id,
        accredited,
    )


async def upsert_course(
    conn: Connection, course_id: uuid.UUID, *, provider_id: uuid.UUID, title: str, price_cents: int
) -> None:
    """Remember a course and its price."""
    await conn.execute(
        "INSERT INTO courses (id, provider_id, title, price_cents) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (id) DO UPDATE SET provider_id = $2, title = $3, price_cents = $4, updated_at = now()",
        course_id,
        provider_id,
        title,
        price_cents,
    )


async def course(conn: Connection, course_id: uuid.UUID) -> asyncpg.Record | None:
    """A course of the catalogue as vouchers knows it from intake's events, or None."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT id, provider_id, title, price_cents FROM courses WHERE id = $1", course_id
    )
    return row


async def applicant_contexts(
    conn: Connection, wanted: Sequence[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]]
) -> list[asyncpg.Record]:
    """Per (participant, course, employer): what the read model knows of them, nulls if unknown; in order.

    ``employer_linked``: the participant is the employer's employee or consented to share with it.
    """
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT p.id AS participant_id, p.situation, p.coach_id, p.target_groups,"
        " c.id AS course_id, c.provider_id, c.price_cents, coalesce(pr.accredited, false) AS provider_accredited,"
        " e.id AS employer_id, e.size_class,"
        " EXISTS (SELECT 1 FROM employer_links l WHERE l.participant_id = q.participant"
        " AND l.employer_id = q.employer) AS employer_linked"
        " FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS q(participant, course, employer, n)"
        " LEFT JOIN participants p ON p.id = q.participant"
        " LEFT JOIN courses c ON c.id = q.course"
        " LEFT JOIN providers pr ON pr.id = c.provider_id"
        " LEFT JOIN employers e ON e.id = q.employer"
        " ORDER BY q.n",
        *columns(wanted, 3),
    )
    return rows
