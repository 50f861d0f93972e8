"""The read model of intake's employers: who may own an opportunity, and the name a candidate is told."""

from __future__ import annotations

import uuid

from shared.db import Connection


async def upsert_employer(
    conn: Connection, employer_id: uuid.UUID, *, name: str, postcode_area: str | None, accredited: bool
) -> None:
    """Remember an employer (from employer.registered / employer.updated)."""
    await conn.execute(
        "INSERT INTO employers (id, name, postcode_area, accredited_learning_company) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (id) DO UPDATE SET name = $2, postcode_area = $3, accredited_learning_company = $4,"
        " updated_at = now()",
        employer_id,
        name,
        postcode_area,
        accredited,
    )


async def employer_exists(conn: Connection, employer_id: uuid.UUID) -> bool:
    """True when intake has told matching about this employer."""
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM employers WHERE id = $1)", employer_id))


async def shares_with(conn: Connection, participant_id: uuid.UUID, employer_id: uuid.UUID) -> bool:
    """True when the participant is the employer's employee or consented to share their profile with it."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM employer_links WHERE participant_id = $1 AND employer_id = $2)",
            participant_id,
            employer_id,
        )
    )


async def sharing_with(conn: Connection, employer_id: uuid.UUID) -> set[uuid.UUID]:
    """Every participant who shares their profile with the employer (employee or consent)."""
    rows = await conn.fetch("SELECT DISTINCT participant_id FROM employer_links WHERE employer_id = $1", employer_id)
    return {r["participant_id"] for r in rows}
