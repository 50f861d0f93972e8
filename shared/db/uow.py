"""The unit of work: one Postgres transaction that collects the events it causes.

Handlers change rows through ``uow.conn`` and announce what happened with ``uow.emit``; on
``commit`` the events are written to the service's outbox in the same transaction, so either
both the change and its events exist or neither does. Leaving the block without committing
rolls everything back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from types import TracebackType

import asyncpg
from asyncpg.transaction import Transaction

from shared.db import Connection
from shared.events.envelope import Envelope, EventData

log = logging.getLogger(__name__)

# The W3C trace context of whatever is being handled (an HTTP request or an event), so that
# events emitted while handling it carry their cause.
current_traceparent: ContextVar[str | None] = ContextVar("current_traceparent", default=None)


class UnitOfWork:
    """A transaction on one connection plus the events emitted inside it."""

    def __init__(self, conn: Connection, *, schema: str, region: str) -> None:
        self.conn = conn
        self.schema = schema
        self.region = region
        self.events: list[Envelope] = []
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        self._tx: Transaction | None = None
        self._committed = False

    async def begin(self) -> None:
        """Start the transaction."""
        self._tx = self.conn.transaction()
        await self._tx.start()

    def emit(self, data: EventData, *, subject: str) -> Envelope:
        """Record an event about entity ``subject``; it is published only if this unit commits."""
        envelope = Envelope.wrap(data, region=self.region, subject=subject, traceparent=current_traceparent.get())
        self.events.append(envelope)
        return envelope

    def after_commit(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run ``action`` once this unit has committed, and never if it rolls back.

        For telling others about changes only once they are visible, such as live updates
        over core NATS; nothing durable belongs here (use ``emit``). A failing action is
        logged: the commit stands.
        """
        self._after_commit.append(action)

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A part of the unit that is undone on its own if it raises: its rows and its events.

        The exception still propagates; catch it outside the block to carry on with the rest.
        """
        mark, actions = len(self.events), len(self._after_commit)
        savepoint = self.conn.transaction()
        await savepoint.start()
        try:
            yield
        except BaseException:
            await savepoint.rollback()
            del self.events[mark:]
            del self._after_commit[actions:]
            raise
        await savepoint.commit()

    async def flush_events(self) -> None:
        """Write the collected events to the outbox (inside the transaction)."""
        if not self.events:
            return
        sql = f"INSERT INTO {self.schema}.outbox (id, subject, payload) VALUES ($1, $2, $3)"
        rows = [(e.id, e.nats_subject, e.to_bytes()) for e in self.events]
        if len(rows) == 1:
            await self.conn.execute(sql, *rows[0])  # one round trip; executemany costs more for a single row
        else:
            await self.conn.executemany(sql, rows)
        self.events = []

    async def commit(self) -> None:
        """Write the events to the outbox and commit."""
        if self._tx is None:
            raise RuntimeError("commit() before begin()")
        await self.flush_events()
        await self._tx.commit()
        self._committed = True
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            try:
                await action()
            except Exception as exc:  # noqa: BLE001 - the commit stands whatever a follower does
                log.warning("an after-commit action failed", extra={"error": repr(exc)})

    async def rollback(self) -> None:
        """Undo everything, events and after-commit actions included."""
        self.events = []
        self._after_commit = []
        if self._tx is not None and not self._committed:
            await self._tx.rollback()
            self._tx = None


class UnitOfWorkFactory:
    """Opens units of work on a pool: ``async with uow_factory() as uow: ... await uow.commit()``."""

    def __init__(self, pool: asyncpg.Pool, *, schema: str, region: str) -> None:
        self.pool = pool
        self.schema = schema
        self.region = region

    def __call__(self) -> PooledUnitOfWork:
        """A new unit of work; use it with ``async with``."""
        return PooledUnitOfWork(self)


class PooledUnitOfWork:
    """Context manager that acquires a connection, begins, and rolls back unless committed."""

    def __init__(self, factory: UnitOfWorkFactory) -> None:
        self._factory = factory
        self._conn: Connection | None = None
        self._uow: UnitOfWork | None = None

    async def __aenter__(self) -> UnitOfWork:
        f = self._factory
        conn: Connection = await f.pool.acquire()
        self._conn = conn
        self._uow = UnitOfWork(conn, schema=f.schema, region=f.region)
        await self._uow.begin()
        return self._uow

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._uow is not None:
                await self._uow.rollback()
        finally:
            if self._conn is not None:
                await self._factory.pool.release(self._conn)  # type: ignore[arg-type]
