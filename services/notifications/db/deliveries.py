"""Deliveries: one row per event, recipient and channel that leaves the service.

The row is written in the transaction that handles the event, so an event handled is an
intent recorded, and ``UNIQUE (event_id, recipient, channel)`` makes a redelivered event (or
a second replica handling it) add nothing. Senders claim due rows with ``FOR UPDATE SKIP
LOCKED`` and a lease: two senders never hold the same row, and a sender that dies mid-send
leaves its rows to be claimed again when the lease runs out.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from shared.db import Connection
from shared.db.arrays import columns

# The channel senders are woken on when intents are added (see migration 003).
WAKE_CHANNEL = "notifications_deliveries"


@dataclass(frozen=True)
class NewDelivery:
    """An intent to deliver one event's notification to one recipient over one channel."""

    event_id: uuid.UUID
    event_key: str
    rule: str
    channel: str
    recipient: str
    recipient_role: str
    party: str
    subject_id: str
    payload: str  # the event's data as JSON text
    due_at: datetime
    digest: bool = False


async def add_deliveries(conn: Connection, deliveries: Sequence[NewDelivery]) -> None:
    """Record intents in one statement; one that exists already for the event, recipient and channel is kept."""
    await conn.execute(
        "INSERT INTO deliveries (id, event_id, event_key, rule, channel, recipient, recipient_role, party,"
        " subject_id, payload, next_attempt_at, digest)"
        " SELECT gen_random_uuid(), e, k, ru, ch, r, rr, pa, s, p::jsonb, due, dg FROM unnest("
        "   $1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],"
        "   $9::text[], $10::timestamptz[], $11::bool[]"
        " ) AS u(e, k, ru, ch, r, rr, pa, s, p, due, dg)"
        " ON CONFLICT (event_id, recipient, channel) DO NOTHING",
        *columns(
            (
                (
                    d.event_id,
                    d.event_key,
                    d.rule,
                    d.channel,
                    d.recipient,
                    d.recipient_role,
                    d.party,
                    d.subject_id,
                    d.payload,
                    d.due_at,
                    d.digest,
                )
                for d in deliveries
            ),
            11,
        ),
    )


CLAIMED = (
    "d.id, d.event_key, d.rule, d.recipient, d.recipient_role, d.party, d.payload, d.attempts, d.digest, d.created_at"
)
# A pending delivery of channel $1 that is due and not leased to a sender.
DUE = " AND ".join(
    ("status = 'pending'", "channel = $1", "next_attempt_at <= now()", "(leased_until IS NULL OR leased_until < now())")
)


async def claim_due(conn: Connection, channel: str, *, limit: int, lease_seconds: float) -> list[asyncpg.Record]:
    """Claim up to ``limit`` due deliveries of a channel (not for a digest) for ``lease_seconds``; no other
    sender gets them meanwhile."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "UPDATE deliveries d SET leased_until = now() + make_interval(secs => $3), attempts = d.attempts + 1"
        f" FROM (SELECT id FROM deliveries WHERE {DUE} AND NOT digest"
        "       ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) due"
        f" WHERE d.id = due.id RETURNING {CLAIMED}",
        channel,
        limit,
        lease_seconds,
    )
    return rows


async def claim_digests(
    conn: Connection, channel: str, *, recipients: int, max_items: int, lease_seconds: float
) -> list[asyncpg.Record]:
    """Claim every due digest delivery (up to ``max_items`` each) of up to ``recipients`` recipients.

    A recipient's digest is claimed whole, so that it goes out as one email or as numbered
    parts of one, not scattered over batches among other people's messages.
    """
    rows: list[asyncpg.Record] = await conn.fetch(
        "WITH who AS (SELECT recipient FROM deliveries WHERE " + DUE + " AND digest"
        "   GROUP BY recipient ORDER BY min(next_attempt_at) LIMIT $2),"
        " due AS (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY recipient ORDER BY created_at, id) AS n"
        "   FROM deliveries WHERE " + DUE + " AND digest AND recipient IN (SELECT recipient FROM who)) numbered"
        "   WHERE n <= $3)"
        " UPDATE deliveries d SET leased_until = now() + make_interval(secs => $4), attempts = d.attempts + 1"
        " FROM (SELECT id FROM deliveries WHERE id IN (SELECT id FROM due) AND " + DUE + " AND digest"
        "   FOR UPDATE SKIP LOCKED) locked"
        f" WHERE d.id = locked.id RETURNING {CLAIMED}",
        channel,
        recipients,
        max_items,
        lease_seconds,
    )
    return rows


async def finish(conn: Connection, outcomes: Sequence[tuple[uuid.UUID, str, str | None]]) -> None:
    """Record each claimed delivery's end: ``sent``, ``skipped`` or ``failed``, with why (no personal data).

    Only a row still pending changes: one cancelled by an erasure meanwhile stays cancelled. The
    whole batch is one statement.
    """
    if not outcomes:
        return
    await conn.execute(
        "UPDATE deliveries d SET status = o.status, outcome = o.outcome, leased_until = NULL,"
        " sent_at = CASE WHEN o.status = 'sent' THEN now() END"
        " FROM unnest($1::uuid[], $2::text[], $3::text[]) AS o(id, status, outcome)"
        " WHERE d.id = o.id AND d.status = 'pending'",
        *columns(outcomes, 3),
    )


async def retry_later(conn: Connection, retries: Sequence[tuple[uuid.UUID, datetime, str]]) -> None:
    """Put claimed deliveries back for another attempt at the given time, saying what went wrong."""
    if not retries:
        return
    await conn.execute(
        "UPDATE deliveries d SET next_attempt_at = r.at, outcome = r.outcome, leased_until = NULL"
        " FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS r(id, at, outcome)"
        " WHERE d.id = r.id AND d.status = 'pending'",
        *columns(retries, 3),
    )


async def forget_participants(conn: Connection, participant_ids: Sequence[str]) -> None:
    """Erasure: pending deliveries about these participants are cancelled, all of them anonymised.

    What stays is that a message of some rule went out (or did not) at some time: no participant
    id, no account of theirs, no event data.
    """
    await conn.execute(
        "UPDATE deliveries SET"
        " status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END,"
        " outcome = CASE WHEN status = 'pending' THEN 'the participant was erased' ELSE outcome END,"
        " recipient = CASE WHEN party = ANY($1::text[]) THEN 'erased:' || id ELSE recipient END,"
        " party = NULL, subject_id = NULL, payload = '{}', leased_until = NULL"
        " WHERE party = ANY($1::text[]) OR subject_id = ANY($1::text[])"
        " OR payload->>'participant_id' = ANY($1::text[])",
        list(participant_ids),
    )
