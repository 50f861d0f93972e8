"""Live feed updates over server-sent events, fanned out between replicas through NATS."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from services.notifications.app import service_definition
from services.notifications.settings import NotificationSettings
from services.notifications.tests.conftest import CONSUMERS, Feeds
from shared.service import create_app
from tests.support.platform import Platform, run_service
from tests.support.ports import free_port
from tests.support.waiting import eventually

# No periodic re-reading of the feed: an entry can reach a stream only through a NATS wake-up.
NO_RECHECK = NotificationSettings(live_keepalive_seconds=3600)


@contextlib.asynccontextmanager
async def replica(platform: Platform, *, consuming: bool = True) -> AsyncIterator[tuple[str, FastAPI]]:
    """One notifications replica served over HTTP; without its consumers when ``consuming`` is False."""
    port = free_port()
    app = create_app(service_definition(NO_RECHECK), platform.settings("notifications", port=port))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: _started(server), timeout=60)
        if not consuming:
            for consumer in [t for t in app.state.runtime.tasks if t.get_name().startswith("consumer-")]:
                consumer.cancel()
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        await task


async def _started(server: uvicorn.Server) -> bool:
    return server.started


async def read_events(lines: AsyncIterator[str], count: int) -> list[dict[str, Any]]:
    """The next ``count`` server-sent events of a stream's lines, as their fields."""
    events: list[dict[str, Any]] = []
    fields: dict[str, Any] = {}
    async for line in lines:
        if line == "":
            if "data" in fields:
                events.append({**fields, "data": json.loads(fields["data"])})
                if len(events) == count:
                    return events
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
    raise AssertionError(f"the stream ended after {len(events)} of {count} events")


async def no_pull_requests_waiting(platform: Platform) -> bool:
    """True once no replica waits on the consumers: the reader's cancelled fetches have expired."""
    for spec in CONSUMERS:
        if (await platform.js.consumer_info(spec.stream, spec.durable)).num_waiting:
            return False
    return True


async def test_an_entry_written_by_one_replica_reaches_a_stream_served_by_another(platform: Platform) -> None:
    async with replica(platform, consuming=False) as (url, _reader):
        await platform.enrol("coach", "coach-anna")  # once the schema exists
        await eventually(lambda: no_pull_requests_waiting(platform))
        async with run_service(platform, service_definition(NO_RECHECK)) as writer:
            headers = platform.auth("coach", "coach-anna")
            async with (
                httpx.AsyncClient(base_url=url, timeout=30) as client,
                client.stream("GET", "/notifications/stream", headers=headers) as response,
            ):
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                feeds = Feeds(platform, writer)
                sent = [await feeds.registered("coach-anna") for _ in range(3)]
                await feeds.registered("coach-bob")
                events = await asyncio.wait_for(read_events(response.aiter_lines(), 3), timeout=60)

    assert [e["data"]["subject_id"] for e in events] == [str(p) for p in sent]
    assert [e["event"] for e in events] == ["notification"] * 3
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids)
    assert events[0]["data"]["message"].startswith("Een nieuwe deelnemer")


async def test_a_client_that_reconnects_with_last_event_id_gets_what_it_missed_and_nothing_twice(
    platform: Platform,
) -> None:
    async with run_service(platform, service_definition(NO_RECHECK)) as service, replica(platform) as (url, _):
        await platform.enrol("coach", "coach-anna")  # once the schema exists
        feeds = Feeds(platform, service)
        first = [await feeds.registered("coach-anna") for _ in range(2)]
        await feeds.handled()
        missed = [await feeds.registered("coach-anna") for _ in range(3)]
        await feeds.handled()
        entries = await feeds.query(
            "SELECT seq, subject_id FROM notifications.notifications WHERE recipient = 'coach-anna' ORDER BY seq"
        )
        # Two replicas consume: entries are numbered in the order they were written, not sent.
        assert sorted(r["subject_id"] for r in entries) == sorted(str(p) for p in first + missed)
        last_seen = entries[1]["seq"]

        headers = {**platform.auth("coach", "coach-anna"), "Last-Event-ID": str(last_seen)}
        async with (
            httpx.AsyncClient(base_url=url, timeout=30) as client,
            client.stream("GET", "/notifications/stream", headers=headers) as response,
        ):
            lines = response.aiter_lines()
            caught_up = await asyncio.wait_for(read_events(lines, 3), timeout=60)
            later = await feeds.registered("coach-anna")
            (live,) = await asyncio.wait_for(read_events(lines, 1), timeout=60)

    assert [e["data"]["subject_id"] for e in caught_up] == [r["subject_id"] for r in entries[2:]]
    assert [int(e["id"]) for e in caught_up] == [r["seq"] for r in entries[2:]]
    assert live["data"]["subject_id"] == str(later)


async def test_a_stream_needs_a_token_and_a_readable_last_event_id(feeds: Feeds) -> None:
    client = feeds.service.client
    await feeds.known("coach-anna", "coach")
    anonymous = await client.get("/notifications/stream")
    assert anonymous.status_code == 401
    garbled = await client.get(
        "/notifications/stream", headers={**feeds.platform.auth("coach", "coach-anna"), "Last-Event-ID": "abc"}
    )
    assert garbled.status_code == 422
    assert "Last-Event-ID" in garbled.text
    huge = await client.get(
        "/notifications/stream", headers={**feeds.platform.auth("coach", "coach-anna"), "Last-Event-ID": "9" * 30}
    )
    assert huge.status_code == 422


async def test_a_wake_up_names_only_the_account_and_its_role(feeds: Feeds) -> None:
    woken: list[bytes] = []

    async def remember(msg: Any) -> None:
        woken.append(msg.data)

    await feeds.platform.nc.subscribe("live.gld.notifications.feed", cb=remember)
    await feeds.registered("coach-anna", uuid.uuid4())
    await feeds.handled()
    await eventually(lambda: _non_empty(woken))
    assert json.loads(woken[0]) == [["coach-anna", "coach"]]


async def _non_empty(items: list[bytes]) -> bool:
    return bool(items)
