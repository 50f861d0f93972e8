"""The outbox relay: moves committed events from a service's outbox table to JetStream.

Each pass claims up to ``batch_size`` rows in one short statement (``FOR UPDATE SKIP LOCKED``
plus a lease, committed at once, so no row lock is held while talking to NATS), publishes them
pipelined with ``Nats-Msg-Id`` = event id, waits for every PubAck, then deletes the rows that
were acknowledged. A relay that dies between publish and delete leaves rows whose lease
expires; the next pass publishes them again and JetStream drops the duplicates by message id
(the stream's duplicate window outlasts the lease), and consumers' inboxes catch anything
older. Rows are found by their state, not by a cursor over ids, so a transaction that commits
late is never skipped. The relay wakes on ``LISTEN/NOTIFY`` and polls as a fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import asyncpg
from nats.js import JetStreamContext
from prometheus_client import Counter

log = logging.getLogger(__name__)

PUBLISHED = Counter("regionet_outbox_published_total", "Events relayed from the outbox to JetStream", ["service"])
DUPLICATES = Counter(
    "regionet_outbox_duplicates_total", "Relayed events JetStream recognised as duplicates", ["service"]
)
FAILURES = Counter(
    "regionet_outbox_publish_failures_total", "Outbox publishes that failed and will be retried", ["service"]
)


@dataclass(frozen=True)
class RelayConfig:
    """How the relay batches and retries."""

    batch_size: int = 500
    lease_seconds: float = 30.0
    poll_interval: float = 1.0
    publish_timeout: float = 10.0
    retry_delay_seconds: float = 1.0


class OutboxRelay:
    """Relays one schema's outbox to JetStream until stopped."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        *,
        schema: str,
        dsn: str,
        config: RelayConfig | None = None,
    ) -> None:
        self._pool = pool
        self._dsn = dsn
        self._js = js
        self._schema = schema
        self._config = config or RelayConfig()
        self._wake = asyncio.Event()
        self._claim_sql = f"""
            WITH claimed AS (
                SELECT seq FROM {schema}.outbox
                WHERE lease_until IS NULL OR lease_until < clock_timestamp()
                ORDER BY seq
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            )
            UPDATE {schema}.outbox o
            SET lease_until = clock_timestamp() + make_interval(secs => $2), attempts = o.attempts + 1
            FROM claimed WHERE o.seq = claimed.seq
            RETURNING o.seq, o.id, o.subject, o.payload
        """
        self._delete_sql = f"DELETE FROM {schema}.outbox WHERE seq = ANY($1::bigint[])"
        self._retry_sql = (
            f"UPDATE {schema}.outbox SET lease_until = clock_timestamp() + make_interval(secs => $2),"
            f" last_error = $3 WHERE seq = ANY($1::bigint[])"
        )

    async def relay_once(self) -> int:
        """Claim, publish and remove one batch; returns how many rows were claimed."""
        cfg = self._config
        rows = await self._pool.fetch(self._claim_sql, cfg.batch_size, cfg.lease_seconds)
        if not rows:
            return 0
        rows = sorted(rows, key=lambda r: r["seq"])
        futures: list[asyncio.Future[Any]] = []
        send_error: Exception | None = None
        for r in rows:
            try:
                futures.append(
                    await self._js.publish_async(r["subject"], r["payload"], headers={"Nats-Msg-Id": str(r["id"])})
                )
            except Exception as exc:  # noqa: BLE001 - connection lost mid-batch: the rest is retried
                send_error = exc
                break
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*futures, return_exceptions=True), timeout=cfg.publish_timeout
            )
        except TimeoutError:
            for f in futures:
                f.cancel()
            results = [_outcome(f) for f in futures]
        done: list[int] = []
        failed: list[int] = []
        errors: list[str] = []
        duplicates = 0
        results = list(results) + [send_error] * (len(rows) - len(futures))
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                failed.append(row["seq"])
                errors.append(f"{type(result).__name__}: {result}")
            else:
                done.append(row["seq"])
                duplicates += bool(getattr(result, "duplicate", False))
        if done:
            await self._pool.execute(self._delete_sql, done)
            PUBLISHED.labels(self._schema).inc(len(done))
            DUPLICATES.labels(self._schema).inc(duplicates)
        if failed:
            FAILURES.labels(self._schema).inc(len(failed))
            log.warning(
                "outbox publish failed; will retry",
                extra={"failed": len(failed), "error": errors[0], "schema": self._schema},
            )
            await self._pool.execute(self._retry_sql, failed, cfg.retry_delay_seconds, errors[0])
        return len(rows)

    def wake(self) -> None:
        """Ask the relay to look at the outbox now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; survives NATS and Postgres outages by retrying."""
        listener: asyncpg.Connection | None = None
        channel = f"{self._schema}_outbox"
        try:
            while not stop.is_set():
                if listener is None or listener.is_closed():
                    listener = await self._listen(channel)
                self._wake.clear()
                try:
                    claimed = await self.relay_once()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("outbox relay pass failed; retrying", extra={"error": str(exc), "schema": self._schema})
                    claimed = 0
                    await asyncio.sleep(self._config.poll_interval)
                if claimed >= self._config.batch_size:
                    continue
                await self._wait(stop)
        finally:
            if listener is not None and not listener.is_closed():
                await listener.close()

    async def _listen(self, channel: str) -> asyncpg.Connection | None:
        # A dedicated connection outside the pool: LISTEN lasts as long as the session.
        try:
            conn: asyncpg.Connection = await asyncpg.connect(self._dsn)
            await conn.add_listener(channel, lambda *_: self._wake.set())
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return None
        return conn

    async def _wait(self, stop: asyncio.Event) -> None:
        waiters = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
        try:
            await asyncio.wait(waiters, timeout=self._config.poll_interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await w


def _outcome(future: asyncio.Future[Any]) -> object:
    """A publish future's PubAck, or the reason it has none."""
    if future.cancelled() or not future.done():
        return TimeoutError("no PubAck in time")
    return future.exception() or future.result()
