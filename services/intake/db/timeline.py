"""A participant's timeline: what happened to them, with who and when, and the coaches' notes.

Notes are personal data: stored sealed with the participant's data key, opened when read.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from services.intake.db.rows import Row, insert_new
from services.intake.vault import PersonKey
from shared.db import Connection


def _opened(row: Row, key: PersonKey) -> dict[str, Any]:
    values = {k: v for k, v in row.items() if k != "note_sealed"}
    values["note"] = key.open("note", row["note_sealed"])
    return values


async def add_timeline(
    conn: Connection,
    participant_id: uuid.UUID,
    kind: str,
    actor: str,
    *,
    details: Mapping[str, Any] | None = None,
) -> Row:
    """Append something that happened to a participant's timeline."""
    return await insert_new(
        conn,
        "timeline",
        {"participant_id": participant_id, "kind": kind, "details": json.dumps(details or {}), "actor": actor},
    )


async def add_note(conn: Connection, key: PersonKey, text: str, actor: str) -> dict[str, Any]:
    """Append a coach's note, sealed with the participant's key."""
    row = await insert_new(
        conn,
        "timeline",
        {
            "participant_id": key.participant_id,
            "kind": "note",
            "details": "{}",
            "note_sealed": key.seal("note", text),
            "actor": actor,
        },
    )
    return _opened(row, key)


async def timeline(conn: Connection, key: PersonKey) -> list[dict[str, Any]]:
    """A participant's timeline, oldest first, notes opened."""
    rows = await conn.fetch("SELECT * FROM timeline WHERE participant_id = $1 ORDER BY id", key.participant_id)
    return [_opened(row, key) for row in rows]
