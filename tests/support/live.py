"""Services running in-process on an event loop of their own, for synchronous callers such as Hypothesis.

Hypothesis drives a synchronous test function once per example; the services need a running
event loop for their pool, NATS connection, relay and consumers. So the services live on a
loop in a background thread, started once with their real lifespans (as :func:`run_service`
starts them), and a test hands each request over to that loop and waits for the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from shared.service import ServiceDefinition
from tests.support.platform import Platform, RunningService, open_platform, run_service
from tests.support.servers import Servers

START_TIMEOUT = 120.0
REQUEST_TIMEOUT = 60.0

T = TypeVar("T")


@dataclass
class LiveServices:
    """The running services by name, and a blocking way to send them requests."""

    platform: Platform
    services: dict[str, RunningService]
    loop: asyncio.AbstractEventLoop

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the services' loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=REQUEST_TIMEOUT)

    def request(self, service: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request to ``service`` (as ``httpx.AsyncClient.request`` takes it) and wait for the answer."""
        return self.run(self.services[service].client.request(method, url, **kwargs))


@contextlib.contextmanager
def live_services(servers: Servers, definitions: Sequence[ServiceDefinition]) -> Iterator[LiveServices]:
    """Start ``definitions`` on a fresh platform in a background thread; stop them and drop the platform on exit."""
    loop = asyncio.new_event_loop()
    started: asyncio.Future[LiveServices] = loop.create_future()
    stop = asyncio.Event()

    async def serve() -> None:
        # One task enters and leaves every context, as the lifespans expect.
        try:
            async with contextlib.AsyncExitStack() as stack:
                platform = await stack.enter_async_context(open_platform(servers))
                running = {d.name: await stack.enter_async_context(run_service(platform, d)) for d in definitions}
                started.set_result(LiveServices(platform=platform, services=running, loop=loop))
                await stop.wait()
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc)
            raise

    thread = threading.Thread(target=loop.run_forever, name="live-services", daemon=True)
    thread.start()
    served = asyncio.run_coroutine_threadsafe(serve(), loop)
    try:
        yield asyncio.run_coroutine_threadsafe(_wait(started), loop).result(timeout=START_TIMEOUT)
    finally:
        loop.call_soon_threadsafe(stop.set)
        try:
            served.result(timeout=START_TIMEOUT)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()


async def _wait(started: asyncio.Future[LiveServices]) -> LiveServices:
    return await started
