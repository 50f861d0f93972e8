"""During an outage of Postgres a request gets a prompt 503 with Retry-After, never a 500 or a hang."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from shared.settings import ServiceSettings
from tests.reliability.harness import COACH, OwnServers, System, application_request

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180), pytest.mark.asyncio(loop_scope="module")]

# A refused connection is known at once; a frozen server only when the statement limit runs out
# (twice, at most: asyncpg's cancellation of the timed-out statement waits on the same server).
PROMPTLY = 5.0
STATEMENT_LIMIT = ServiceSettings.model_fields["db_command_timeout"].default


@contextlib.asynccontextmanager
async def postgres_stopped(own: OwnServers) -> AsyncIterator[float]:
    """Postgres shut down: connections are refused."""
    await asyncio.to_thread(own.postgres.stop)
    try:
        yield PROMPTLY
    finally:
        await asyncio.to_thread(own.postgres.start)


@contextlib.asynccontextmanager
async def postgres_frozen(own: OwnServers) -> AsyncIterator[float]:
    """Postgres unresponsive (every process stopped): connections open, nothing answers."""
    frozen = own.freeze_postgres()
    try:
        yield 2 * STATEMENT_LIMIT + PROMPTLY
    finally:
        own.thaw_postgres(frozen)


Answer = tuple[str, int | None, str | None, float]


async def answers_during(system: System, outage: Any) -> tuple[list[Answer], float]:
    """A registration, an application and readiness probes sent during the outage, and the time allowed."""
    participant = system.applicants[0]
    url, options = application_request(system, participant, system.vouchers[0])
    coach = system.auth("coach", COACH)
    requests: list[tuple[str, str, str, dict[str, Any]]] = [
        (
            "register",
            "POST",
            f"{system.intake[0].url}/participants",
            {"json": {"name": "Tijdens storing", "situation": "working_in_tech"}, "headers": coach},
        ),
        ("apply", "POST", url, options),
        ("intake /ready", "GET", f"{system.intake[0].url}/ready", {}),
        ("vouchers /ready", "GET", f"{system.vouchers[0].url}/ready", {}),
    ]

    async def send(client: httpx.AsyncClient, kind: str, method: str, target: str, sent: dict[str, Any]) -> Answer:
        started = time.monotonic()
        try:
            answer = await client.request(method, target, **sent)
        except httpx.HTTPError:
            return kind, None, None, round(time.monotonic() - started, 2)
        return kind, answer.status_code, answer.headers.get("retry-after"), round(time.monotonic() - started, 2)

    async with outage as allowed, httpx.AsyncClient(timeout=60) as client:
        return list(await asyncio.gather(*(send(client, *r) for r in requests))), allowed


@pytest.mark.parametrize("outage", [postgres_stopped, postgres_frozen], ids=["stopped", "frozen"])
async def test_requests_during_a_postgres_outage_get_503_with_retry_after(
    system: System, own: OwnServers, outage: Callable[[OwnServers], Any]
) -> None:
    seen, allowed = await answers_during(system, outage(own))
    print(f"answers during Postgres {outage.__name__} (allowed {allowed} s): {seen}")
    wrong = [
        (kind, status, retry_after, seconds)
        for kind, status, retry_after, seconds in seen
        if status != 503 or not retry_after or seconds >= allowed
    ]
    assert wrong == [], f"not a prompt 503 with Retry-After: {wrong}"
