"""Group commit: concurrent submissions are run together, each caller gets its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from shared.db.batching import Batcher


class Recorder:
    """A batch function that remembers its groups and can be held until released."""

    def __init__(self) -> None:
        self.groups: list[list[int]] = []
        self.running = 0
        self.most_running = 0
        self.release = asyncio.Event()
        self.release.set()
        self._started = asyncio.Condition()

    async def run(self, items: Sequence[int]) -> list[int]:
        async with self._started:
            self.groups.append(list(items))
            self._started.notify_all()
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await self.release.wait()
            if any(i < 0 for i in items):
                raise ValueError("negative")
            return [i * 10 for i in items]
        finally:
            self.running -= 1

    async def started(self, groups: int) -> None:
        """Wait until ``groups`` groups have begun (and are held, while ``release`` is clear)."""
        async with asyncio.timeout(5), self._started:
            await self._started.wait_for(lambda: len(self.groups) >= groups)


async def queued(batcher: Batcher[int, int], items: int) -> None:
    """Wait until ``items`` submitted items wait in ``batcher`` for the next group."""
    async with asyncio.timeout(5):
        # Each submit appends its item in its task's first step; the batcher has no event for it.
        while len(batcher._pending) < items:  # noqa: ASYNC110
            await asyncio.sleep(0)


async def test_an_item_alone_runs_at_once() -> None:
    recorder = Recorder()
    batcher: Batcher[int, int] = Batcher(recorder.run)
    assert await batcher.submit(7) == 70
    assert recorder.groups == [[7]]


async def test_an_item_submitted_right_after_a_group_finished_is_run_too() -> None:
    recorder = Recorder()
    batcher: Batcher[int, int] = Batcher(recorder.run)
    assert await batcher.submit(1) == 10
    # This task resumes before the finished drainer's task has run its done-callbacks, and
    # submits again at once, in the same task (no new task in between).
    async with asyncio.timeout(2):
        assert await batcher.submit(2) == 20
        assert await batcher.submit(3) == 30


async def test_items_arriving_while_a_group_runs_go_together_into_the_next_in_order() -> None:
    recorder = Recorder()
    recorder.release.clear()
    batcher: Batcher[int, int] = Batcher(recorder.run, max_size=4)
    first = asyncio.create_task(batcher.submit(0))
    await recorder.started(1)
    rest = [asyncio.create_task(batcher.submit(i)) for i in range(1, 10)]
    await queued(batcher, 9)
    recorder.release.set()
    assert await first == 0
    assert [await r for r in rest] == [i * 10 for i in range(1, 10)]
    assert recorder.groups == [[0], [1, 2, 3, 4], [5, 6, 7, 8], [9]]
    assert recorder.most_running == 1


async def test_at_most_max_in_flight_groups_run_at_once() -> None:
    recorder = Recorder()
    recorder.release.clear()
    batcher: Batcher[int, int] = Batcher(recorder.run, max_size=2, max_in_flight=2)
    tasks = [asyncio.create_task(batcher.submit(i)) for i in range(8)]
    await recorder.started(2)
    await queued(batcher, 4)
    recorder.release.set()
    assert [await t for t in tasks] == [i * 10 for i in range(8)]
    assert recorder.most_running == 2
    assert sorted(i for g in recorder.groups for i in g) == list(range(8))


async def test_an_item_that_fails_fails_alone() -> None:
    recorder = Recorder()
    recorder.release.clear()
    batcher: Batcher[int, int] = Batcher(recorder.run)
    first = asyncio.create_task(batcher.submit(0))
    await recorder.started(1)
    group = [asyncio.create_task(batcher.submit(i)) for i in (1, -1, 2)]
    await queued(batcher, 3)
    recorder.release.set()
    assert await first == 0
    assert await group[0] == 10
    with pytest.raises(ValueError, match="negative"):
        await group[1]
    assert await group[2] == 20
    assert recorder.groups == [[0], [1, -1, 2], [1], [-1], [2]]


async def test_a_batch_function_that_answers_for_too_few_items_fails_every_caller() -> None:
    async def short(items: Sequence[int]) -> list[int]:
        return [1]

    batcher: Batcher[int, int] = Batcher(short)
    first = asyncio.create_task(batcher.submit(1))
    second = asyncio.create_task(batcher.submit(2))
    for task in (first, second):
        with pytest.raises(RuntimeError, match="1 results for 2 items"):
            await task


def test_sizes_must_be_positive() -> None:
    async def run(items: Sequence[int]) -> list[int]:
        return list(items)

    with pytest.raises(ValueError, match="at least 1"):
        Batcher(run, max_size=0)


async def test_callers_are_cancelled_not_left_waiting_when_the_group_is_cancelled() -> None:
    recorder = Recorder()
    recorder.release.clear()
    batcher: Batcher[int, int] = Batcher(recorder.run)
    first = asyncio.create_task(batcher.submit(1))
    await recorder.started(1)
    waiting = asyncio.create_task(batcher.submit(2))
    await queued(batcher, 1)
    for drainer in list(batcher._tasks):
        drainer.cancel()
    for task in (first, waiting):
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_drainer_cancelled_before_it_ran_leaves_nobody_waiting_and_the_batcher_usable() -> None:
    recorder = Recorder()
    batcher: Batcher[int, int] = Batcher(recorder.run)
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)  # submit ran and started a drainer, which has not run yet
    for drainer in list(batcher._tasks):
        drainer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    async with asyncio.timeout(2):
        assert await batcher.submit(2) == 20
