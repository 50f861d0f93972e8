"""Two replicas each of vouchers and notifications on one database and the same durable consumers."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.reliability.harness import ACK_WAIT_SECONDS, System, Workload, check, metric_totals, running_system
from tests.support.platform import Platform
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180), pytest.mark.asyncio(loop_scope="module")]

PROCESSED = "regionet_events_processed_total"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_system(
    module_platform: Platform, nats_link: TcpProxy, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    """Intake, and two replicas each of vouchers and notifications, started once for the module."""
    folder: Path = tmp_path_factory.mktemp("replicas")
    url = f"nats://127.0.0.1:{nats_link.port}"
    async with running_system(module_platform, folder, replicas=2, nats_url=url) as system:
        yield system


def shares(before: dict[str, int], after: dict[str, int], replicas: list[str]) -> dict[str, int]:
    """What each replica did between two readings of a counter."""
    return {label: after[label] - before[label] for label in replicas}


async def test_two_replicas_share_the_work_and_do_nothing_twice(system: System) -> None:
    before = await metric_totals(system, PROCESSED)
    async with Workload(system, clients=6) as load:
        await load.until_ok(30)
    figures = await check(system, load)
    after = await metric_totals(system, PROCESSED)
    for replicas in (system.vouchers, system.notifications):
        work = shares(before, after, [p.label for p in replicas])
        assert all(work.values()), f"a replica handled no events: {work}"
        print(f"events handled per replica: {work}")
    filed = {p.url: 0 for p in system.vouchers}
    for attempt in load.history:
        if attempt.kind == "apply" and attempt.outcome == "ok" and attempt.replica:
            filed[attempt.replica] += 1
    assert all(filed.values()), f"a vouchers replica filed nothing: {filed}"
    print(figures.line("two replicas"))


async def test_a_replica_paused_past_its_ack_wait_leaves_its_work_to_the_other(system: System) -> None:
    paused = system.vouchers[1]

    async with Workload(system, clients=6) as load:
        await load.until_ok(10)
        load.fault_active = True
        paused.signal(signal.SIGSTOP)
        try:
            # The fault is a duration: JetStream must hand what the paused replica holds to the other.
            await asyncio.sleep(2 * ACK_WAIT_SECONDS)
        finally:
            paused.signal(signal.SIGCONT)
            load.fault_active = False
        await load.until_ok(10, after=time.monotonic())
    figures = await check(system, load)
    print(figures.line("SIGSTOP one vouchers replica"))
