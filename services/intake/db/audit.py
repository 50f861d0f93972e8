"""The audit trail without personal data: who read whose record, and which participants were erased."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from services.intake.db.rows import Row
from shared.db import Connection


async def log_access(
    conn: Connection, participant_ids: Iterable[uuid.UUID], *, accessor: str, role: str, action: str
) -> None:
    """Write one access-log entry per participant whose personal data was read."""
    ids = list(participant_ids)
    if ids:
        await conn.execute(
            "INSERT INTO access_log (participant_id, accessor, role, action) SELECT unnest($1::uuid[]), $2, $3, $4",
            ids,
            accessor,
            role,
            action,
        )


async def record_erasure(conn: Connection, participant_id: uuid.UUID, requested_by: str) -> None:
    """Keep the fact of an erasure (pseudonym, time, requester) without personal data."""
    await conn.execute(
        "INSERT INTO erasures (participant_id, requested_by) VALUES ($1, $2)", participant_id, requested_by
    )


async def get_erasure(conn: Connection, participant_id: uuid.UUID) -> Row | None:
    """The erasure record of a pseudonym, or None."""
    row: Row | None = await conn.fetchrow("SELECT * FROM erasures WHERE participant_id = $1", participant_id)
    return row
