"""Waiting for asynchronous outcomes without fixed sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], *, timeout: float = 30.0, interval: float = 0.05) -> T:
    """Call ``check`` until it returns something truthy; fail with its last answer after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: T = await check()
    while not last:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last result: {last!r}")
        await asyncio.sleep(interval)
        last = await check()
    return last
