"""The outbox relay: moves committed events from a service's outbox table to JetStream.

Each pass claims up to ``batch_size`` rows in one short statement (``FOR UPDATE SKIP LOCKED``
plus a lease, committed at once, so no row lock is held while talking to NATS), publishes them
pipelined with ``Nats-Msg-Id`` = event id and waits for every PubAck; the acknowledged rows are
deleted by the same statement that claims the next batch. A relay that dies between publish
and delete leaves rows whose lease expires; the next pass publishes them again and JetStream
drops the duplicates by message id (the stream's duplicate window outlasts the lease), and
consumers' inboxes catch anything older. Rows are found by their state, not by a cursor over
ids, so a transaction that commits late is never skipped. The relay wakes on ``LISTEN/NOTIFY`` and polls as a fallback.
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
    """Relays one schema's outbox to JetStream until stopped.

    The relay works on a connection of its own with ``synchronous_commit = off``: a lease or a
    delete lost in a crash only means a row is published again, which the stream drops as a
    duplicate. Each pass is one statement that deletes the rows the previous pass published
    and claims the next batch.
    """

    def __init__(
        self,
        js: JetStreamContext,
        *,
        schema: str,
        dsn: str,
        config: RelayConfig | None = None,
    ) -> None:
        self._js = js
        self._dsn = dsn
        self._schema = schema
        self._config = config or RelayConfig()
        self._wake = asyncio.Event()
        self._conn: asyncpg.Connection | None = None
        self._published: list[int] = []  # acknowledged by JetStream, deleted by the next pass
        self._pass_sql = f"""
            WITH published AS (
                DELETE FROM {schema}.outbox WHERE seq = ANY($3::bigint[])
            ), claimed AS (
                SELECT seq FROM {schema}.outbox
                WHERE (lease_until IS NULL OR lease_until < clock_timestamp())
                  AND NOT (seq = ANY($3::bigint[]))
                ORDER BY seq
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            )
            UPDATE {schema}.outbox o
            SET lease_until = clock_timestamp() + make_interval(secs => $2), attempts = o.attempts + 1
            FROM claimed WHERE o.seq = claimed.seq
            RETURNING o.seq, o.id, o.subject, o.payload
        """
        self._retry_sql = (
            f"UPDATE {schema}.outbox SET lease_until = clock_timestamp() + make_interval(secs => $2),"
            f" last_error = $3 WHERE seq = ANY($1::bigint[])"
        )

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self._dsn, server_settings={"synchronous_commit": "off"})
            await self._conn.add_listener(f"{self._schema}_outbox", lambda *_: self._wake.set())
        return self._conn

    async def relay_once(self) -> int:
        """Remove what the last pass published, then claim, publish and acknowledge one batch.

        Returns how many rows were claimed.
        """
        cfg = self._config
        conn = await self._connection()
        rows = await conn.fetch(self._pass_sql, cfg.batch_size, cfg.lease_seconds, self._published)
        self._published = []
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
            results: list[object] = list(
                await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), timeout=cfg.publish_timeout)
            )
        except TimeoutError:
            for f in futures:
                f.cancel()
            results = [_outcome(f) for f in futures]
        results += [send_error] * (len(rows) - len(futures))
        failed: list[int] = []
        errors: list[str] = []
        duplicates = 0
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                failed.append(row["seq"])
                errors.append(f"{type(result).__name__}: {result}")
            else:
                self._published.append(row["seq"])
                duplicates += bool(getattr(result, "duplicate", False))
        PUBLISHED.labels(self._schema).inc(len(self._published))
        DUPLICATES.labels(self._schema).inc(duplicates)
        if failed:
            FAILURES.labels(self._schema).inc(len(failed))
            log.warning(
                "outbox publish failed; will retry",
                extra={"failed": len(failed), "error": errors[0], "schema": self._schema},
            )
            await conn.execute(self._retry_sql, failed, cfg.retry_delay_seconds, errors[0])
        return len(rows)

    async def forget_published(self) -> None:
        """Delete the rows already acknowledged by JetStream (the next pass would do it too)."""
        if self._published:
            conn = await self._connection()
            await conn.execute(f"DELETE FROM {self._schema}.outbox WHERE seq = ANY($1::bigint[])", self._published)
            self._published = []

    def wake(self) -> None:
        """Ask the relay to look at the outbox now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; survives NATS and Postgres outages by retrying."""
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    claimed = await self.relay_once()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("outbox relay pass failed; retrying", extra={"error": str(exc), "schema": self._schema})
                    await self._close()
                    await asyncio.sleep(self._config.poll_interval)
                    continue
                if claimed >= self._config.batch_size:
                    continue
                await self._wait(stop)
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await self.forget_published()
        finally:
            await self._close()

    async def _close(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            with contextlib.suppress(OSError, asyncpg.InterfaceError):
                await self._conn.close()
        self._conn = None

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
