"""A participant's timeline: what happened to them, with who and when, and the coaches' notes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from services.intake.db.rows import Row, insert_new
from shared.db import Connection


async def add_timeline(
    conn: Connection,
    participant_id: uuid.UUID,
    kind: str,
    actor: str,
    *,
    details: Mapping[str, Any] | None = None,
    note: str | None = None,
) -> Row:
    """Append to a participant's timeline."""
    return await insert_new(
        conn,
        "timeline",
        {
            "participant_id": participant_id,
            "kind": kind,
            "details": json.dumps(details or {}),
            "note": note,
            "actor": actor,
        },
    )


async def timeline(conn: Connection, participant_id: uuid.UUID) -> list[Row]:
    """A participant's timeline, oldest first."""
    rows: list[Row] = await conn.fetch("SELECT * FROM timeline WHERE participant_id = $1 ORDER BY id", participant_id)
    return rows
