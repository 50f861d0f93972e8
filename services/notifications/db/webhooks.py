"""Webhook endpoints, their secrets, deliveries and attempts (see migration 004)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from shared.db import Connection
from shared.db.arrays import columns

# The channel webhook senders are woken on when deliveries are queued.
WAKE_CHANNEL = "notifications_webhooks"

ENDPOINT_COLUMNS = "id, url, description, event_types, internal, status, disabled_reason, failing_since, created_at"


async def add_endpoint(
    conn: Connection,
    endpoint_id: uuid.UUID,
    *,
    url: str,
    description: str,
    event_types: Sequence[str],
    internal: bool,
    owner: str,
    secret: str,
) -> asyncpg.Record:
    """A new active endpoint with its first secret."""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"INSERT INTO webhook_endpoints (id, url, description, event_types, internal, owner)"
        f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ENDPOINT_COLUMNS}",
        endpoint_id,
        url,
        description,
        list(event_types),
        internal,
        owner,
    )
    assert row is not None  # INSERT … RETURNING returns the row
    await conn.execute("INSERT INTO webhook_secrets (endpoint_id, secret) VALUES ($1, $2)", endpoint_id, secret)
    return row


async def endpoints(conn: Connection) -> list[asyncpg.Record]:
    """Every endpoint, newest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at DESC, id"
    )
    return rows


async def endpoint(conn: Connection, endpoint_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    """One endpoint, or None."""
    lock = " FOR UPDATE" if for_update else ""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1{lock}", endpoint_id
    )
    return row


async def set_status(conn: Connection, endpoint_id: uuid.UUID, status: str, reason: str | None = None) -> None:
    """Pause, resume or disable an endpoint; resuming forgets past failures."""
    await conn.execute(
        "UPDATE webhook_endpoints SET status = $2, disabled_reason = $3,"
        " failing_since = CASE WHEN $2 = 'active' THEN NULL ELSE failing_since END WHERE id = $1",
        endpoint_id,
        status,
        reason,
    )


async def delete_endpoint(conn: Connection, endpoint_id: uuid.UUID) -> bool:
    """Remove an endpoint with its secrets, deliveries and attempts; False if there was none."""
    status: str = await conn.execute("DELETE FROM webhook_endpoints WHERE id = $1", endpoint_id)
    return status.endswith(" 1")


async def rotate_secret(conn: Connection, endpoint_id: uuid.UUID, secret: str, overlap_seconds: float) -> None:
    """Sign with ``secret`` from now on, and with the current ones for ``overlap_seconds`` more."""
    await conn.execute(
        "UPDATE webhook_secrets SET expires_at = least(coalesce(expires_at, 'infinity'),"
        " now() + make_interval(secs => $2)) WHERE endpoint_id = $1",
        endpoint_id,
        overlap_seconds,
    )
    await conn.execute("INSERT INTO webhook_secrets (endpoint_id, secret) VALUES ($1, $2)", endpoint_id, secret)


async def subscribed(conn: Connection, event_types: Sequence[str]) -> list[asyncpg.Record]:
    """Active or paused endpoints subscribed to any of these event types (paused ones queue, and send on resume)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT id, event_types FROM webhook_endpoints WHERE status <> 'disabled' AND event_types && $1::text[]",
        list(set(event_types)),
    )
    return rows


async def queue(conn: Connection, deliveries: Sequence[tuple[uuid.UUID, uuid.UUID, str, str]]) -> None:
    """Queue deliveries ``(endpoint, event id, event type, body)`` in one statement; one per endpoint and event."""
    await conn.execute(
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, body)"
        " SELECT gen_random_uuid(), ep, e, t, b FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[])"
        " AS u(ep, e, t, b)"
        " ON CONFLICT (endpoint_id, event_id) DO NOTHING",
        *columns(deliveries, 4),
    )


async def claim_due(conn: Connection, *, limit: int, lease_seconds: float) -> list[asyncpg.Record]:
    """Claim due deliveries of active endpoints that have not asked to slow down, with their URL and secrets."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "WITH due AS ("
        "  SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id"
        "  WHERE d.status = 'pending' AND d.next_attempt_at <= now()"
        "  AND (d.leased_until IS NULL OR d.leased_until < now())"
        "  AND e.status = 'active' AND e.send_after <= now()"
        "  ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED)"
        " UPDATE webhook_deliveries d SET leased_until = now() + make_interval(secs => $2), attempts = d.attempts + 1"
        " FROM due, webhook_endpoints e WHERE d.id = due.id AND e.id = d.endpoint_id"
        " RETURNING d.id, d.endpoint_id, d.body, d.attempts, d.created_at, e.url, e.failing_since,"
        " ARRAY(SELECT s.secret FROM webhook_secrets s WHERE s.endpoint_id = e.id"
        "       AND (s.expires_at IS NULL OR s.expires_at > now()) ORDER BY s.created_at DESC) AS secrets",
        limit,
        lease_seconds,
    )
    return rows


async def record_attempts(
    conn: Connection, attempts: Sequence[tuple[uuid.UUID, uuid.UUID, int | None, str | None, int]]
) -> None:
    """Log attempts ``(delivery, endpoint, status code, error, latency ms)``, in one statement."""
    if not attempts:
        return
    await conn.execute(
        "INSERT INTO webhook_attempts (delivery_id, endpoint_id, status_code, error, latency_ms)"
        " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::int[])",
        *columns(attempts, 5),
    )


async def delivered(conn: Connection, delivery_ids: Sequence[uuid.UUID]) -> None:
    """Mark deliveries delivered, and their endpoints healthy again.

    An endpoint row is written only when it was failing: senders delivering to the same healthy
    endpoint at once neither wait on its row lock nor leave a new version of it each round.
    """
    await conn.execute(
        "WITH done AS (UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), leased_until = NULL"
        "   WHERE id = ANY($1::uuid[]) AND status = 'pending' RETURNING endpoint_id)"
        " UPDATE webhook_endpoints SET failing_since = NULL"
        " WHERE id IN (SELECT endpoint_id FROM done) AND failing_since IS NOT NULL",
        list(delivery_ids),
    )


async def retry_at(conn: Connection, retries: Sequence[tuple[uuid.UUID, datetime]]) -> None:
    """Deliveries due again at the given times; their endpoints are failing since now, if not already."""
    if not retries:
        return
    await conn.execute(
        "WITH d AS (UPDATE webhook_deliveries d SET next_attempt_at = r.at, leased_until = NULL"
        "   FROM unnest($1::uuid[], $2::timestamptz[]) AS r(id, at)"
        "   WHERE d.id = r.id AND d.status = 'pending' RETURNING d.endpoint_id)"
        " UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now())"
        " WHERE id IN (SELECT endpoint_id FROM d)",
        *columns(retries, 2),
    )


async def give_up(conn: Connection, delivery_ids: Sequence[uuid.UUID]) -> None:
    """Deliveries that will not be tried again."""
    await conn.execute(
        "UPDATE webhook_deliveries SET status = 'failed', leased_until = NULL WHERE id = ANY($1::uuid[])",
        list(delivery_ids),
    )


async def slow_down(conn: Connection, endpoint_id: uuid.UUID, until: datetime) -> None:
    """Send nothing to an endpoint before ``until`` (it answered 429, 502 or 504, or asked with Retry-After)."""
    await conn.execute(
        "UPDATE webhook_endpoints SET send_after = greatest(send_after, $2) WHERE id = $1", endpoint_id, until
    )


async def disable(conn: Connection, endpoint_id: uuid.UUID, reason: str) -> str | None:
    """Disable an endpoint; its owner, or None when it was disabled already."""
    owner: str | None = await conn.fetchval(
        "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2 WHERE id = $1 AND status <> 'disabled'"
        " RETURNING owner",
        endpoint_id,
        reason,
    )
    return owner


async def attempts_of(conn: Connection, endpoint_id: uuid.UUID, *, limit: int) -> list[asyncpg.Record]:
    """An endpoint's newest attempts with their delivery's event."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT a.delivery_id, d.event_id, d.event_type, d.status AS delivery_status, a.attempted_at, a.status_code,"
        " a.error, a.latency_ms FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id"
        " WHERE a.endpoint_id = $1 ORDER BY a.attempted_at DESC, a.id DESC LIMIT $2",
        endpoint_id,
        limit,
    )
    return rows


async def replay(
    conn: Connection, endpoint_id: uuid.UUID, *, delivery_id: uuid.UUID | None, since: datetime | None
) -> int:
    """Send one delivery, or every delivery queued since a time, again (same webhook-id); how many."""
    status: str = await conn.execute(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), leased_until = NULL, attempts = 0"
        " WHERE endpoint_id = $1 AND status <> 'cancelled'"
        " AND (($2::uuid IS NOT NULL AND id = $2) OR ($3::timestamptz IS NOT NULL AND created_at >= $3))",
        endpoint_id,
        delivery_id,
        since,
    )
    return int(status.split()[-1])


async def forget_participants(conn: Connection, participant_ids: Sequence[str]) -> None:
    """Erasure: pending deliveries mentioning these participants are cancelled, every body mentioning them emptied."""
    await conn.execute(
        "UPDATE webhook_deliveries SET status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END,"
        " body = '' WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) p WHERE strpos(body, p) > 0)",
        list(participant_ids),
    )
