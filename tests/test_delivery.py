"""Guaranteed delivery: outbox → JetStream → idempotent consumer → dead letters, against real servers."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import pytest
from nats.aio.msg import Msg

from services.notifications.subscribers import participants_registered
from shared.bus.consumer import H_ATTEMPTS, H_CONSUMER, H_ERROR, BatchHandler, ConsumerConfig, EventConsumer
from shared.bus.dlq import list_dead_letters, replay
from shared.bus.outbox import OutboxRelay, RelayConfig
from shared.bus.topology import ConsumerSpec
from shared.db.migrations import migrate
from shared.db.pool import create_pool
from shared.db.uow import UnitOfWork, UnitOfWorkFactory
from shared.events.contracts.intake import ParticipantRegistered, Situation
from shared.events.envelope import Envelope
from tests.support.platform import Platform
from tests.support.waiting import eventually


@pytest.fixture
async def intake_pool(platform: Platform) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(platform.dsn("intake"), min_size=1, max_size=6)
    async with pool.acquire() as conn:
        await migrate(conn, "intake")
    yield pool
    await pool.close()


@pytest.fixture
async def notifications_pool(platform: Platform) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(platform.dsn("notifications"), min_size=1, max_size=6)
    async with pool.acquire() as conn:
        await migrate(conn, "notifications")
    yield pool
    await pool.close()


def registered(coach: str = "coach-1") -> ParticipantRegistered:
    return ParticipantRegistered(participant_id=uuid.uuid4(), coach_id=coach, situation=Situation.LOOKING_FOR_WORK)


async def commit_events(pool: asyncpg.Pool, count: int) -> list[Envelope]:
    uows = UnitOfWorkFactory(pool, schema="intake", region="gld")
    emitted: list[Envelope] = []
    async with uows() as uow:
        for _ in range(count):
            data = registered()
            emitted.append(uow.emit(data, subject=str(data.participant_id)))
        await uow.commit()
    return emitted


async def stream_event_ids(platform: Platform, stream: str = "INTAKE") -> list[uuid.UUID]:
    return [Envelope.model_validate_json(b).id for b in await platform.stream_messages(stream)]


async def outbox_size(pool: asyncpg.Pool) -> int:
    count: int = await pool.fetchval("SELECT count(*) FROM intake.outbox")
    return count


async def test_outbox_publishes_every_committed_event_exactly_once(
    platform: Platform, intake_pool: asyncpg.Pool
) -> None:
    emitted = await commit_events(intake_pool, 250)
    uows = UnitOfWorkFactory(intake_pool, schema="intake", region="gld")
    async with uows() as uow:
        uow.emit(registered(), subject="rolled-back")
        await uow.flush_events()
        # leaving without commit rolls the event back: it must never be published
    relay = OutboxRelay(platform.js, schema="intake", dsn=platform.dsn("intake"), config=RelayConfig(batch_size=100))
    while await relay.relay_once():
        pass
    assert await stream_event_ids(platform) == [e.id for e in emitted]
    assert await outbox_size(intake_pool) == 0


async def test_relay_killed_between_publish_and_mark_publishes_no_duplicate(
    platform: Platform, intake_pool: asyncpg.Pool
) -> None:
    emitted = await commit_events(intake_pool, 50)
    config = RelayConfig(batch_size=100, lease_seconds=0.2)
    dying = OutboxRelay(platform.js, schema="intake", dsn=platform.dsn("intake"), config=config)
    assert await dying.relay_once() == 50
    # The relay has its PubAcks but has not yet removed the rows (its next pass would): kill it.
    await dying._close()
    del dying
    assert len(await stream_event_ids(platform)) == 50, "the batch was published before the crash"
    assert await outbox_size(intake_pool) == 50, "but not marked"

    async def lease_ran_out() -> bool:
        expired: bool = await intake_pool.fetchval(
            "SELECT bool_and(lease_until < clock_timestamp()) FROM intake.outbox"
        )
        return expired

    await eventually(lease_ran_out, timeout=10.0)
    survivor = OutboxRelay(platform.js, schema="intake", dsn=platform.dsn("intake"), config=config)
    assert await survivor.relay_once() == 50
    await survivor.forget_published()
    assert await stream_event_ids(platform) == [e.id for e in emitted], "JetStream dropped the re-published copies"
    assert await outbox_size(intake_pool) == 0


async def test_late_committing_transaction_is_not_skipped(platform: Platform, intake_pool: asyncpg.Pool) -> None:
    relay = OutboxRelay(platform.js, schema="intake", dsn=platform.dsn("intake"))
    async with intake_pool.acquire() as slow_conn:
        slow = UnitOfWork(slow_conn, schema="intake", region="gld")
        await slow.begin()
        early = slow.emit(registered(), subject="early")
        await slow.flush_events()  # takes the lower sequence number, but commits last

        fast = await commit_events(intake_pool, 1)
        await relay.relay_once()
        assert await stream_event_ids(platform) == [fast[0].id]

        await slow.commit()
    await relay.relay_once()
    assert await stream_event_ids(platform) == [fast[0].id, early.id]


class WaitingRelay(OutboxRelay):
    """A relay that tells when it has found the outbox empty and waits to be woken."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waiting = asyncio.Event()

    async def _wait(self, stop: asyncio.Event) -> None:
        self.waiting.set()
        await super()._wait(stop)


async def test_relay_wakes_on_notify_and_keeps_running(platform: Platform, intake_pool: asyncpg.Pool) -> None:
    relay = WaitingRelay(
        platform.js, schema="intake", dsn=platform.dsn("intake"), config=RelayConfig(poll_interval=30.0)
    )
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        # Its first pass found nothing: from now on only a NOTIFY wakes it before the 30 s poll.
        await asyncio.wait_for(relay.waiting.wait(), 15.0)
        emitted = await commit_events(intake_pool, 3)

        async def published() -> bool:
            return await stream_event_ids(platform) == [e.id for e in emitted]

        await eventually(published, timeout=15.0)  # still well below the 30 s poll
    finally:
        stop.set()
        await asyncio.wait_for(task, 5.0)


async def publish(platform: Platform, envelope: Envelope, msg_id: str | None = None) -> None:
    await platform.js.publish(
        envelope.nats_subject, envelope.to_bytes(), headers={"Nats-Msg-Id": msg_id or str(envelope.id)}
    )


async def test_consumer_crash_after_commit_before_ack_does_not_apply_twice(
    platform: Platform, notifications_pool: asyncpg.Pool
) -> None:
    spec = ConsumerSpec("notifications", "notifications-crashtest", "INTAKE", ("gld.intake.participant.>",))
    await platform.js.add_consumer("INTAKE", dataclasses.replace(spec.config("gld"), ack_wait=1.0))
    handlers = {ParticipantRegistered.spec.key: BatchHandler(participants_registered)}

    class CrashBeforeAck(EventConsumer):
        async def handle_batch(self, msgs: Sequence[Msg]) -> None:
            deliveries = [self._decode(m) for m in msgs]
            await self._commit(deliveries)  # committed... and the process dies before acking

    event = Envelope.wrap(registered("coach-c"), region="gld", subject="p")
    await publish(platform, event)
    sub = await platform.js.pull_subscribe_bind(durable=spec.durable, stream=spec.stream)
    crashing = CrashBeforeAck(pool=notifications_pool, js=platform.js, spec=spec, region="gld", handlers=handlers)
    await crashing.handle_batch(await sub.fetch(10, timeout=2))

    redelivered = await sub.fetch(10, timeout=5)  # after ack_wait, JetStream delivers again
    assert [m.metadata.num_delivered for m in redelivered] == [2]
    healthy = EventConsumer(pool=notifications_pool, js=platform.js, spec=spec, region="gld", handlers=handlers)
    await healthy.handle_batch(redelivered)

    rows = await notifications_pool.fetchval(
        "SELECT count(*) FROM notifications.notifications WHERE recipient = 'coach-c'"
    )
    assert rows == 1

    async def settled() -> bool:
        # A plain ack does not wait for the server; it may not have been applied yet.
        info = await platform.js.consumer_info("INTAKE", spec.durable)
        return bool(info.num_ack_pending == 0 and info.num_pending == 0)

    await eventually(settled)


async def test_duplicate_delivery_of_the_same_event_is_acked_without_effect(
    platform: Platform, notifications_pool: asyncpg.Pool
) -> None:
    spec = ConsumerSpec("notifications", "notifications-duptest", "INTAKE", ("gld.intake.participant.>",))
    await platform.js.add_consumer("INTAKE", spec.config("gld"))
    calls: list[uuid.UUID] = []

    async def counting(uow: UnitOfWork, envelope: Envelope) -> None:
        calls.append(envelope.id)
        await participants_registered(uow, [envelope])

    event = Envelope.wrap(registered("coach-d"), region="gld", subject="p")
    await publish(platform, event)
    await publish(platform, event, msg_id=f"{event.id}-again")  # outside the dedup window's reach
    consumer = EventConsumer(
        pool=notifications_pool, js=platform.js, spec=spec, region="gld", handlers={event.key: counting}
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:

        async def drained() -> bool:
            info = await platform.js.consumer_info("INTAKE", spec.durable)
            return bool(info.num_pending == 0 and info.num_ack_pending == 0)

        await eventually(drained)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5.0)
    assert calls == [event.id]


async def test_failing_handler_ends_in_dead_letters_and_later_events_still_flow(
    platform: Platform, notifications_pool: asyncpg.Pool
) -> None:
    spec = ConsumerSpec("notifications", "notifications-dlqtest", "INTAKE", ("gld.intake.participant.>",))
    await platform.js.add_consumer("INTAKE", spec.config("gld"))
    broken_for = {"coach-broken"}

    async def fragile(uow: UnitOfWork, envelope: Envelope) -> None:
        if envelope.data["coach_id"] in broken_for:
            raise RuntimeError("template for this coach is missing")
        await participants_registered(uow, [envelope])

    poison = Envelope.wrap(registered("coach-broken"), region="gld", subject="p1")
    fine = [Envelope.wrap(registered("coach-ok"), region="gld", subject=f"p{i}") for i in range(5)]
    await publish(platform, poison)
    for e in fine:
        await publish(platform, e)
    await platform.js.publish("gld.intake.participant.garbage.v1", b"{not json")

    config = ConsumerConfig(batch_size=10, max_attempts=3, backoff_base_seconds=0.05, fetch_timeout=0.2)
    consumer = EventConsumer(
        pool=notifications_pool,
        js=platform.js,
        spec=spec,
        region="gld",
        handlers={poison.key: fragile},
        config=config,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:

        async def two_dead_letters() -> bool:
            return len(await list_dead_letters(platform.js, consumer=spec.durable)) == 2

        await eventually(two_dead_letters)
        count = await notifications_pool.fetchval(
            "SELECT count(*) FROM notifications.notifications WHERE recipient = 'coach-ok'"
        )
        assert count == 5, "the events behind the poison message were handled"

        letters = await list_dead_letters(platform.js, consumer=spec.durable)
        by_id = {d.event_id: d for d in letters}
        failed = by_id[str(poison.id)]
        assert failed.attempts == 3
        assert "template for this coach is missing" in failed.error
        assert failed.original_subject == poison.nats_subject
        undecodable = by_id[""]
        assert "not a valid event envelope" in undecodable.error
        raw = await platform.js.get_msg("DLQ", failed.sequence)
        assert raw.headers is not None
        assert raw.headers[H_CONSUMER] == spec.durable
        assert raw.headers[H_ATTEMPTS] == "3"
        assert raw.headers[H_ERROR]

        broken_for.clear()  # the operator fixed the cause
        await replay(platform.js, failed.sequence)

        async def handled() -> bool:
            n = await notifications_pool.fetchval(
                "SELECT count(*) FROM notifications.notifications WHERE recipient = 'coach-broken'"
            )
            return bool(n == 1)

        await eventually(handled)
        remaining = await list_dead_letters(platform.js, consumer=spec.durable)
        assert [d.event_id for d in remaining] == [""]
    finally:
        stop.set()
        await asyncio.wait_for(task, 5.0)
