"""Webhook subscriptions: subscribe, pause, resume, delete, rotate the secret, replay; and queuing events.

Only shared, anonymised events may go to an outside party; an endpoint marked ``internal`` (the
region's own systems) may also take the region's own events, which carry pseudonymous ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from services.notifications import db
from services.notifications.handlers.commands import Replay, RotateSecret, Subscribe
from services.notifications.secrets import SecretBox
from services.notifications.webhooks import new_secret, unsafe_target
from shared.auth import Principal
from shared.db.uow import UnitOfWork
from shared.errors import NotFound, Unprocessable
from shared.events.catalogue import CATALOGUE
from shared.events.envelope import Envelope


async def queue_webhooks(uow: UnitOfWork, events: Sequence[Envelope]) -> None:
    """Queue each event for every endpoint subscribed to its type, in the event's transaction."""
    endpoints = await db.webhooks.subscribed(uow.conn, [e.key for e in events])
    if not endpoints:
        return
    await db.webhooks.queue(
        uow.conn,
        [
            (endpoint["id"], event.id, event.key, event.to_bytes().decode())
            for event in events
            for endpoint in endpoints
            if event.key in endpoint["event_types"]
        ],
    )


async def subscribe(
    uow: UnitOfWork, owner: Principal, cmd: Subscribe, *, allow_private: bool, box: SecretBox
) -> tuple[asyncpg.Record, str]:
    """A new endpoint and its first secret (shown once)."""
    for key in dict.fromkeys(cmd.event_types):
        spec = CATALOGUE.get(key)
        if spec is None:
            raise Unprocessable(f"there is no event type {key!r}; GET /asyncapi.json of each service lists them")
        if not spec.shared and not cmd.internal:
            raise Unprocessable(
                f"{key} is one of the region's own events; an outside party may subscribe only to shared,"
                " anonymised events (set internal for the region's own systems)"
            )
    refused = await unsafe_target(cmd.url, allow_private=allow_private)
    if refused is not None:
        raise Unprocessable(f"this URL cannot receive webhooks: {refused}")
    secret = new_secret()
    row = await db.webhooks.add_endpoint(
        uow.conn,
        uuid.uuid4(),
        url=cmd.url,
        description=cmd.description,
        event_types=list(dict.fromkeys(cmd.event_types)),
        internal=cmd.internal,
        owner=owner.sub,
        secret=box.seal(secret),
    )
    return row, secret


async def _existing(uow: UnitOfWork, endpoint_id: uuid.UUID) -> asyncpg.Record:
    row = await db.webhooks.endpoint(uow.conn, endpoint_id, for_update=True)
    if row is None:
        raise NotFound(f"there is no webhook endpoint {endpoint_id}")
    return row


async def pause(uow: UnitOfWork, endpoint_id: uuid.UUID) -> asyncpg.Record:
    """Stop sending; events keep being queued and go out on resume."""
    row = await _existing(uow, endpoint_id)
    if row["status"] == "disabled":
        raise Unprocessable("this endpoint is disabled; resume it to send again")
    await db.webhooks.set_status(uow.conn, endpoint_id, "paused")
    return await _existing(uow, endpoint_id)


async def resume(uow: UnitOfWork, endpoint_id: uuid.UUID) -> asyncpg.Record:
    """Send again (also to an endpoint that was disabled); past failures are forgotten."""
    await _existing(uow, endpoint_id)
    await db.webhooks.set_status(uow.conn, endpoint_id, "active")
    return await _existing(uow, endpoint_id)


async def delete(uow: UnitOfWork, endpoint_id: uuid.UUID) -> None:
    """Remove the endpoint with its secrets, queue and log."""
    if not await db.webhooks.delete_endpoint(uow.conn, endpoint_id):
        raise NotFound(f"there is no webhook endpoint {endpoint_id}")


async def rotate_secret(uow: UnitOfWork, endpoint_id: uuid.UUID, cmd: RotateSecret, box: SecretBox) -> str:
    """A new secret; requests are signed with the old ones too for the overlap."""
    await _existing(uow, endpoint_id)
    secret = new_secret()
    await db.webhooks.rotate_secret(uow.conn, endpoint_id, box.seal(secret), cmd.overlap_hours * 3600.0)
    return secret


async def replay(uow: UnitOfWork, endpoint_id: uuid.UUID, cmd: Replay) -> int:
    """Queue one delivery or every delivery since a time again; how many."""
    await _existing(uow, endpoint_id)
    count = await db.webhooks.replay(uow.conn, endpoint_id, delivery_id=cmd.delivery_id, since=cmd.since)
    if cmd.delivery_id is not None and count == 0:
        raise NotFound(f"endpoint {endpoint_id} has no delivery {cmd.delivery_id}")
    return count
