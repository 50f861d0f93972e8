"""Consent decisions: every one is kept, the latest per purpose (and employer) is in force."""

from __future__ import annotations

import uuid

from services.intake.db.rows import Row, insert_new
from shared.db import Connection


async def add_consent(
    conn: Connection,
    *,
    participant_id: uuid.UUID,
    purpose: str,
    employer_id: uuid.UUID | None,
    given: bool,
    source: str,
    recorded_by: str,
) -> Row:
    """Record a consent decision."""
    return await insert_new(
        conn,
        "consent_records",
        {
            "participant_id": participant_id,
            "purpose": purpose,
            "employer_id": employer_id,
            "given": given,
            "source": source,
            "recorded_by": recorded_by,
        },
    )


async def current_consents(conn: Connection, participant_id: uuid.UUID) -> list[Row]:
    """The latest decision per purpose (and employer) that is still a 'given'."""
    rows: list[Row] = await conn.fetch(
        "SELECT * FROM (SELECT DISTINCT ON (purpose, employer_id) * FROM consent_records"
        " WHERE participant_id = $1 ORDER BY purpose, employer_id, recorded_at DESC, id DESC) latest"
        " WHERE given ORDER BY purpose",
        participant_id,
    )
    return rows


async def contact_states(conn: Connection, participant_ids: list[uuid.UUID], purpose: str) -> dict[uuid.UUID, Row]:
    """Per participant that exists: ``email_sealed`` with the ``wrapped_key`` that opens it,
    ``preferred_language`` and whether ``consents`` (the latest decision on ``purpose`` is a 'given'),
    for many participants in one query."""
    rows = await conn.fetch(
        "SELECT p.id, p.email_sealed, k.wrapped_key, p.preferred_language,"
        " EXISTS (SELECT 1 FROM (SELECT DISTINCT ON (c.employer_id)"
        "   c.given FROM consent_records c WHERE c.participant_id = p.id AND c.purpose = $2"
        "   ORDER BY c.employer_id, c.recorded_at DESC, c.id DESC) latest WHERE latest.given) AS consents"
        " FROM participants p JOIN participant_keys k ON k.participant_id = p.id WHERE p.id = ANY($1::uuid[])",
        participant_ids,
        purpose,
    )
    return {r["id"]: r for r in rows}


async def consent_history(conn: Connection, participant_id: uuid.UUID) -> list[Row]:
    """Every consent decision, oldest first."""
    rows: list[Row] = await conn.fetch(
        "SELECT * FROM consent_records WHERE participant_id = $1 ORDER BY id", participant_id
    )
    return rows
