"""The caller's in-app feed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from asyncpg import Record
from fastapi import APIRouter, Header, Query, status
from fastapi.responses import StreamingResponse

from services.notifications import db
from services.notifications.api.schemas import NotificationOut
from services.notifications.handlers import feed as handle
from services.notifications.live import LiveFeeds
from services.notifications.settings import NotificationSettings
from shared.auth import CurrentPrincipal
from shared.errors import InvalidRequest
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(tags=["in-app feed"])
STREAM_BATCH = 100
# How far back the feed pages: a bound on the work one request can ask of the database.
MAX_OFFSET = 10_000


@router.get("/notifications", response_model=list[NotificationOut])
async def list_notifications(
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    unread: bool = False,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many newest (the next page)")] = 0,
) -> list[NotificationOut]:
    """The caller's newest notifications, in the role of the caller's token; ``offset`` pages further back."""
    async with runtime.pool.acquire() as conn:
        rows = await db.feed.newest(conn, principal.sub, principal.role, limit=limit, unread_only=unread, offset=offset)
    return [NotificationOut.model_validate(dict(r)) for r in rows]


@router.post("/notifications/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT)
async def read_notification(notification_id: uuid.UUID, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> None:
    """Mark one of the caller's notifications read."""
    await handle.mark_read(uow, principal, notification_id)


def _sse(row: Record) -> str:
    """One entry as a server-sent event: its number is the id a client resumes from."""
    data = NotificationOut.model_validate(dict(row)).model_dump_json()
    return f"id: {row['seq']}\nevent: notification\ndata: {data}\n\n"


# Not in the OpenAPI document: an event stream never ends, which a generated client or a fuzzer
# cannot call; the README describes it, and its tests call it over HTTP.
@router.get("/notifications/stream", include_in_schema=False)
async def stream(
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """The caller's new feed entries as server-sent events, live; after ``Last-Event-ID``, what was missed first."""
    feeds: LiveFeeds = runtime.extensions["live_feeds"]
    settings: NotificationSettings = runtime.extensions["notification_settings"]
    recipient = (principal.sub, principal.role.value)
    if last_event_id is not None and not (last_event_id.isdigit() and len(last_event_id) <= 18):
        problem = "Last-Event-ID must be the id of an event this stream sent (a number)"
        raise InvalidRequest([{"loc": ("header", "last-event-id"), "msg": problem}])
    async with runtime.pool.acquire() as conn:
        start = int(last_event_id) if last_event_id else await db.feed.last_seq(conn, principal.sub, principal.role)

    async def events() -> AsyncIterator[str]:
        sent = start
        with feeds.waiting(recipient) as woken:
            yield "retry: 2000\n\n"
            while not runtime.stop.is_set():
                woken.clear()
                async with runtime.pool.acquire() as conn:
                    rows = await db.feed.after(conn, principal.sub, principal.role, sent, limit=STREAM_BATCH)
                for row in rows:
                    yield _sse(row)
                    sent = row["seq"]
                if len(rows) == STREAM_BATCH:
                    continue
                try:
                    await asyncio.wait_for(woken.wait(), settings.live_keepalive_seconds)
                except TimeoutError:
                    yield ": keep-alive\n\n"

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"cache-control": "no-store", "x-accel-buffering": "no"}
    )
