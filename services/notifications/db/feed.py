"""The in-app feed: one row per notification for one recipient, an account acting in one role.

The same account id may hold several roles' tokens; each role has its own feed, so a token of
one role never reads what was meant for another.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from shared.auth import Role
from shared.db import Connection
from shared.db.arrays import columns


@dataclass(frozen=True)
class NewNotification:
    """One entry for one recipient's feed, caused by one event."""

    recipient: str
    recipient_role: Role
    kind: str
    subject_id: str
    event_id: uuid.UUID
    payload: str  # the event's data as JSON text
    message: str
    link: str
    category: str


async def add_notifications(conn: Connection, notifications: Sequence[NewNotification]) -> None:
    """Put notifications in their recipients' feeds (once per recipient, role and event), in one statement.

    One ``INSERT … SELECT FROM unnest(…)`` for the whole batch costs Postgres a fraction of a
    statement per row; each payload is JSON text the caller encoded once per event.
    """
    await conn.execute(
        "INSERT INTO notifications"
        " (id, recipient, recipient_role, kind, subject_id, event_id, payload, message, link, category)"
        " SELECT gen_random_uuid(), r, rr, k, s, e, p::jsonb, m, l, c FROM unnest("
        "   $1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[]"
        " ) AS u(r, rr, k, s, e, p, m, l, c)"
        " ON CONFLICT (recipient, recipient_role, event_id) DO NOTHING",
        *columns(
            (
                (
                    n.recipient,
                    n.recipient_role.value,
                    n.kind,
                    n.subject_id,
                    n.event_id,
                    n.payload,
                    n.message,
                    n.link,
                    n.category,
                )
                for n in notifications
            ),
            9,
        ),
    )


async def forget_participants(conn: Connection, participant_ids: Sequence[str]) -> None:
    """Erasure: remove every notification about these participants, whoever it was for."""
    await conn.execute(
        "DELETE FROM notifications WHERE subject_id = ANY($1::text[]) OR payload->>'participant_id' = ANY($1::text[])",
        list(participant_ids),
    )


async def newest(
    conn: Connection, recipient: str, role: Role, *, limit: int, unread_only: bool, offset: int = 0
) -> list[asyncpg.Record]:
    """A recipient's newest notifications in one role, skipping the ``offset`` newest (a page further on)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM notifications WHERE recipient = $1 AND recipient_role = $2"
        " AND ($3::bool IS FALSE OR read_at IS NULL) ORDER BY seq DESC LIMIT $4 OFFSET $5",
        recipient,
        role.value,
        unread_only,
        limit,
        offset,
    )
    return rows


async def mark_read(conn: Connection, recipient: str, role: Role, notification_id: uuid.UUID) -> bool:
    """Mark one of the recipient's notifications read; False if it is not theirs in this role."""
    status: str = await conn.execute(
        "UPDATE notifications SET read_at = coalesce(read_at, now())"
        " WHERE id = $1 AND recipient = $2 AND recipient_role = $3",
        notification_id,
        recipient,
        role.value,
    )
    return status.endswith(" 1")


async def after(conn: Connection, recipient: str, role: Role, seq: int, *, limit: int) -> list[asyncpg.Record]:
    """A recipient's entries written after number ``seq``, oldest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM notifications WHERE recipient = $1 AND recipient_role = $2 AND seq > $3 ORDER BY seq LIMIT $4",
        recipient,
        role.value,
        seq,
        limit,
    )
    return rows


async def last_seq(conn: Connection, recipient: str, role: Role) -> int:
    """The number of a recipient's newest entry (0 when there is none)."""
    seq: int = await conn.fetchval(
        "SELECT coalesce(max(seq), 0) FROM notifications WHERE recipient = $1 AND recipient_role = $2",
        recipient,
        role.value,
    )
    return seq
