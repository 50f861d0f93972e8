"""The in-app feed: one row per notification for one recipient (an account id, never a name)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.db import Connection


@dataclass(frozen=True)
class NewNotification:
    """One entry for one recipient's feed, caused by one event."""

    recipient: str
    kind: str
    subject_id: str
    event_id: uuid.UUID
    payload: dict[str, Any]


async def add_notifications(conn: Connection, notifications: Sequence[NewNotification]) -> None:
    """Put notifications in their recipients' feeds (once per recipient and event)."""
    await conn.executemany(
        "INSERT INTO notifications (id, recipient, kind, subject_id, event_id, payload)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (recipient, event_id) DO NOTHING",
        [(uuid.uuid4(), n.recipient, n.kind, n.subject_id, n.event_id, n.payload) for n in notifications],
    )


async def forget_subjects(conn: Connection, subject_ids: Sequence[str]) -> None:
    """Remove every notification about these entities (erasure)."""
    await conn.execute("DELETE FROM notifications WHERE subject_id = ANY($1::text[])", list(subject_ids))


async def newest(conn: Connection, recipient: str, *, limit: int, unread_only: bool) -> list[asyncpg.Record]:
    """A recipient's newest notifications."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM notifications WHERE recipient = $1 AND ($2::bool IS FALSE OR read_at IS NULL)"
        " ORDER BY created_at DESC LIMIT $3",
        recipient,
        unread_only,
        limit,
    )
    return rows


async def mark_read(conn: Connection, recipient: str, notification_id: uuid.UUID) -> bool:
    """Mark one of the recipient's notifications read; False if it is not theirs."""
    status: str = await conn.execute(
        "UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND recipient = $2",
        notification_id,
        recipient,
    )
    return status.endswith(" 1")
