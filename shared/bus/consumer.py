"""Idempotent event consumers on durable JetStream pull consumers.

A fetched batch is handled in one Postgres transaction: the inbox rows ``(consumer, event
id)`` are inserted first, events whose row already existed are skipped (a duplicate, acked
without effect), the handlers run for the rest, the events they emit go to the outbox, and the
transaction commits; only then are the messages acknowledged. A crash after the commit and
before the ack redelivers the batch, and the inbox makes that harmless.

If any handler in the batch raises, the batch is rolled back and every message is handled on
its own, so one bad event does not hold up the others. A message whose handler fails is
negatively acknowledged with an exponential delay and retried; after ``max_attempts``
deliveries it is published to the dead-letter stream with the error and then acknowledged.
A message that cannot be decoded at all goes to the dead-letter stream at once. Nothing is
ever terminated because a handler raised once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import asyncpg
import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from prometheus_client import Counter, Histogram
from pydantic import ValidationError

from shared.bus.topology import ConsumerSpec, dlq_subject
from shared.db.availability import DATABASE_UNAVAILABLE
from shared.db.uow import UnitOfWork, current_traceparent
from shared.events.envelope import Envelope

log = logging.getLogger(__name__)

EventHandler = Callable[[UnitOfWork, Envelope], Awaitable[None]]


@dataclass(frozen=True)
class BatchHandler:
    """A handler that takes consecutive events of one type at once (one SQL statement, not one each)."""

    handle: Callable[[UnitOfWork, Sequence[Envelope]], Awaitable[None]]


Handler = EventHandler | BatchHandler

# Failures that are no event's fault: the batch is left to be redelivered, never dead-lettered.
_INFRASTRUCTURE: tuple[type[BaseException], ...] = (*DATABASE_UNAVAILABLE, nats.errors.Error)


@dataclass(frozen=True)
class Subscriber:
    """A durable consumer a service declares, with the handler of each event type it takes.

    ``handlers`` maps catalogue keys (``intake.participant.registered.v1``) to handlers; events
    the filter lets through without a handler are acknowledged without effect.
    """

    spec: ConsumerSpec
    handlers: Mapping[str, Handler]


PROCESSED = Counter("regionet_events_processed_total", "Events handled and committed", ["consumer"])
SKIPPED = Counter("regionet_events_duplicate_total", "Events already in the inbox, acked without effect", ["consumer"])
RETRIED = Counter("regionet_events_retried_total", "Handler failures that will be retried", ["consumer"])
DEAD = Counter("regionet_events_dead_lettered_total", "Events moved to the dead-letter stream", ["consumer"])
LAG = Histogram(
    "regionet_event_age_seconds",
    "Time from an event's creation to its commit by this consumer",
    ["consumer"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# Headers of a dead letter, so an operator sees what failed where and why.
H_ORIGINAL_SUBJECT = "Regionet-Original-Subject"
H_CONSUMER = "Regionet-Consumer"
H_ERROR = "Regionet-Error"
H_ATTEMPTS = "Regionet-Attempts"
H_EVENT_ID = "Regionet-Event-Id"


@dataclass(frozen=True)
class ConsumerConfig:
    """Batching, retry and back-off of one consumer."""

    batch_size: int = 100
    fetch_timeout: float = 1.0
    max_attempts: int = 5
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Delay before delivery ``attempt + 1``."""
        return float(min(self.backoff_max_seconds, self.backoff_base_seconds * 2 ** (attempt - 1)))


@dataclass
class _Delivery:
    msg: Msg
    envelope: Envelope | None
    decode_error: str | None


class EventConsumer:
    """Runs one durable pull consumer of one service against its handlers."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        spec: ConsumerSpec,
        region: str,
        handlers: Mapping[str, Handler],
        config: ConsumerConfig | None = None,
        on_committed: Callable[[Sequence[Envelope]], None] | None = None,
    ) -> None:
        """``handlers`` maps catalogue keys (``intake.participant.registered.v1``) to handlers.

        ``on_committed`` is called with the events a transaction handled, right after it
        committed (for measurements).
        """
        self._pool = pool
        self._js = js
        self.spec = spec
        self._region = region
        self._handlers = dict(handlers)
        self._config = config or ConsumerConfig()
        self._schema = spec.service
        self._name = spec.durable
        self._on_committed = on_committed

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch and handle batches until ``stop`` is set; survives outages by retrying.

        The next batch is fetched while the current one is being handled, so the consumer does
        not sit idle waiting on NATS between database transactions.
        """
        sub: JetStreamContext.PullSubscription | None = None
        next_batch: asyncio.Task[list[Msg]] | None = None
        try:
            while not stop.is_set():
                try:
                    if sub is None:
                        sub = await self._js.pull_subscribe_bind(durable=self.spec.durable, stream=self.spec.stream)
                    if next_batch is None:
                        next_batch = asyncio.create_task(self._fetch(sub))
                    msgs = await next_batch
                    next_batch = None
                except (nats.errors.TimeoutError, TimeoutError):
                    next_batch = None
                    continue
                except (nats.errors.Error, OSError) as exc:
                    next_batch = None
                    log.warning("fetch failed; retrying", extra={"consumer": self._name, "error": repr(exc)})
                    await asyncio.sleep(1.0)
                    continue
                if not stop.is_set():
                    next_batch = asyncio.create_task(self._fetch(sub))
                try:
                    await self.handle_batch(msgs)
                except _INFRASTRUCTURE as exc:
                    # The database or NATS went away mid-batch: nothing was acked, so JetStream
                    # redelivers after ack_wait and the inbox keeps it exactly-once.
                    log.warning(
                        "batch failed on infrastructure; will be redelivered",
                        extra={"consumer": self._name, "error": repr(exc)},
                    )
                    await asyncio.sleep(1.0)
        finally:
            if next_batch is not None:
                # Messages of a fetch cut short are not acked and come back after ack_wait.
                next_batch.cancel()
                with contextlib.suppress(BaseException):
                    await next_batch

    async def _fetch(self, sub: JetStreamContext.PullSubscription) -> list[Msg]:
        return await sub.fetch(self._config.batch_size, timeout=self._config.fetch_timeout)

    async def handle_batch(self, msgs: Sequence[Msg]) -> None:
        """Handle fetched messages: together if all succeed, one by one otherwise."""
        deliveries = [self._decode(m) for m in msgs]
        poison = [d for d in deliveries if d.envelope is None]
        for d in poison:
            await self._dead_letter(d.msg, d.decode_error or "undecodable", attempts=d.msg.metadata.num_delivered)
        good = [d for d in deliveries if d.envelope is not None]
        if not good:
            return
        try:
            await self._commit(good)
        except DATABASE_UNAVAILABLE:
            raise
        except Exception:  # noqa: BLE001 - a handler failed: find which, one at a time
            for d in good:
                await self._handle_alone(d)
            return
        for d in good:
            await d.msg.ack()

    async def _handle_alone(self, d: _Delivery) -> None:
        try:
            await self._commit([d])
        except DATABASE_UNAVAILABLE:
            raise
        except Exception as exc:  # noqa: BLE001 - any handler error counts as a failed attempt
            attempts = d.msg.metadata.num_delivered
            error = f"{type(exc).__name__}: {exc}"
            if attempts >= self._config.max_attempts:
                await self._dead_letter(d.msg, error, attempts=attempts)
            else:
                RETRIED.labels(self._name).inc()
                log.warning(
                    "handler failed; will retry",
                    extra={
                        "consumer": self._name,
                        "event_id": str(d.envelope.id) if d.envelope else None,
                        "attempt": attempts,
                        "error": error,
                    },
                )
                await d.msg.nak(delay=self._config.backoff(attempts))
        else:
            await d.msg.ack()

    async def _commit(self, deliveries: Sequence[_Delivery]) -> None:
        envelopes = [d.envelope for d in deliveries if d.envelope is not None]
        async with self._pool.acquire() as conn:
            uow = UnitOfWork(conn, schema=self._schema, region=self._region)
            await uow.begin()
            try:
                fresh = {
                    r["event_id"]
                    for r in await conn.fetch(
                        f"INSERT INTO {self._schema}.inbox (consumer, event_id, event_type)"
                        " SELECT $1, id, t FROM unnest($2::uuid[], $3::text[]) AS u(id, t)"
                        " ON CONFLICT DO NOTHING RETURNING event_id",
                        self._name,
                        [e.id for e in envelopes],
                        [e.key for e in envelopes],
                    )
                }
                SKIPPED.labels(self._name).inc(len(envelopes) - len(fresh))
                todo: list[Envelope] = []
                for envelope in envelopes:
                    if envelope.id in fresh:
                        fresh.discard(envelope.id)  # a second copy within the batch is a duplicate too
                        todo.append(envelope)
                for handler, group in _runs(todo, self._handlers):
                    await _call(handler, uow, group)
                await uow.commit()
            finally:
                await uow.rollback()
        PROCESSED.labels(self._name).inc(len(todo))
        now = time.time()
        for envelope in todo:
            LAG.labels(self._name).observe(max(0.0, now - envelope.time.timestamp()))
        if self._on_committed is not None:
            self._on_committed(todo)

    def _decode(self, msg: Msg) -> _Delivery:
        try:
            return _Delivery(msg, Envelope.model_validate_json(msg.data), None)
        except ValidationError as exc:
            return _Delivery(
                msg, None, f"not a valid event envelope: {exc.error_count()} error(s), first: {exc.errors()[0]['msg']}"
            )

    async def _dead_letter(self, msg: Msg, error: str, *, attempts: int) -> None:
        """Publish the message with its error to the dead-letter stream, then ack the original."""
        meta = msg.metadata
        event_id = ""
        with contextlib.suppress(ValidationError):
            event_id = str(Envelope.model_validate_json(msg.data).id)
        headers = {
            H_ORIGINAL_SUBJECT: msg.subject,
            H_CONSUMER: self._name,
            H_ERROR: error[:1000],
            H_ATTEMPTS: str(attempts),
            H_EVENT_ID: event_id,
            # Dead-lettering the same delivery twice (crash before the ack) stores one copy.
            "Nats-Msg-Id": f"dlq:{self._name}:{meta.sequence.stream}",
        }
        await self._js.publish(dlq_subject(self._region, self._schema, self._name), msg.data, headers=headers)
        DEAD.labels(self._name).inc()
        log.error(
            "event moved to the dead-letter stream",
            extra={"consumer": self._name, "event_id": event_id, "attempts": attempts, "error": error[:200]},
        )
        await msg.ack()


def _runs(envelopes: Sequence[Envelope], handlers: Mapping[str, Handler]) -> list[tuple[Handler, list[Envelope]]]:
    """Events in order, grouped into consecutive runs of the same batch handler.

    Events without a handler are skipped (the filter subject may bring more than a consumer
    needs); plain handlers get runs of one.
    """
    runs: list[tuple[Handler, list[Envelope]]] = []
    for envelope in envelopes:
        handler = handlers.get(envelope.key)
        if handler is None:
            continue
        if isinstance(handler, BatchHandler) and runs and runs[-1][0] is handler:
            runs[-1][1].append(envelope)
        else:
            runs.append((handler, [envelope]))
    return runs


async def _call(handler: Handler, uow: UnitOfWork, group: list[Envelope]) -> None:
    token = current_traceparent.set(group[0].traceparent)
    try:
        if isinstance(handler, BatchHandler):
            await handler.handle(uow, group)
        else:
            await handler(uow, group[0])
    finally:
        current_traceparent.reset(token)
