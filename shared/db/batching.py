"""Group commit: concurrent requests gathered into one database call.

Under a rush most of the cost of a small statement is not the work it does but the round trip
around it: encoding, a write and a wake-up on both sides, a transaction and a WAL flush. A
:class:`Batcher` collects the items that callers submit while the previous call is running and
hands them to its ``run`` function together; each caller gets back its own result. When
nothing else is going on, an item is sent at once, alone, so a quiet system pays no delay.

``run`` gets the items in arrival order and returns one result per item. If it raises, the
items are tried again one at a time, so an item that cannot be handled fails alone and the
others still succeed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Runs submitted items in groups of at most ``max_size``, ``max_in_flight`` groups at a time."""

    def __init__(
        self, run: Callable[[Sequence[T]], Awaitable[Sequence[R]]], *, max_size: int = 64, max_in_flight: int = 1
    ) -> None:
        if max_size < 1 or max_in_flight < 1:
            raise ValueError("max_size and max_in_flight must be at least 1")
        self._run = run
        self.max_size = max_size
        self.max_in_flight = max_in_flight
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        # Drainers started and not yet finished. Counted here, not by their tasks' done-callbacks:
        # a drainer that has found nothing left is no longer running, even before its task's
        # callbacks run, so the next submit must start a new one.
        self._running = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        """Run ``item`` with whatever else is waiting; its result (or its exception)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._running < self.max_in_flight:
            self._running += 1
            counted = [True]  # until the drainer itself stops counting
            task = asyncio.create_task(self._drain(counted))
            self._tasks.add(task)
            task.add_done_callback(lambda done: self._drainer_done(done, counted))
        return await future

    def _drainer_done(self, task: asyncio.Task[None], counted: list[bool]) -> None:
        self._tasks.discard(task)
        if counted[0]:  # cancelled before its first step: it never ran, so never stopped counting
            self._running -= 1
            pending, self._pending = self._pending, []
            for _, future in pending:
                future.cancel()

    async def _drain(self, counted: list[bool]) -> None:
        try:
            while self._pending:
                group, self._pending = self._pending[: self.max_size], self._pending[self.max_size :]
                try:
                    await self._settle(group)
                except BaseException:  # cancelled (the process is stopping): nobody may wait forever
                    for _, future in group + self._pending:
                        future.cancel()
                    self._pending = []
                    raise
        finally:
            # In the same step as finding nothing left: no submit can slip in between.
            self._running -= 1
            counted[0] = False

    async def _settle(self, group: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._run([item for item, _ in group])
        except Exception as exc:  # noqa: BLE001 - handed to the callers, who raise it
            if len(group) == 1:
                _resolve(group[0][1], exc)
                return
            for one in group:  # find the item that fails; the others still get their answer
                await self._settle([one])
            return
        if len(results) != len(group):
            error = RuntimeError(f"the batch function returned {len(results)} results for {len(group)} items")
            for _, future in group:
                _resolve(future, error)
            return
        for (_, future), result in zip(group, results, strict=True):
            if not future.done():
                future.set_result(result)


def _resolve(future: asyncio.Future[R], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
