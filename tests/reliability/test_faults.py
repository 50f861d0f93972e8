"""Mixed load against the services as real processes while one fault at a time strikes; nothing may be lost.

Each test runs registrations at intake and voucher applications at vouchers, strikes once,
lets the system heal without a hand, waits for new requests to succeed, and then checks the
history against the databases and streams (see ``harness.check``).
"""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from shared.tooling.runtime.processes import pid_alive
from tests.reliability.harness import ACK_WAIT_SECONDS, OwnServers, System, Workload, under_load
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180), pytest.mark.asyncio(loop_scope="module")]

# A server stays down until this many requests have met the outage.
OUTAGE_REQUESTS = 30


@pytest.mark.parametrize("service", ["intake", "vouchers"])
async def test_a_killed_service_loses_nothing(system: System, service: str) -> None:
    victim = getattr(system, service)[0]

    async def kill_and_restart(load: Workload) -> None:
        await victim.kill()
        await victim.restart()

    figures = await under_load(system, kill_and_restart)
    print(figures.line(f"SIGKILL {service}"))


async def test_a_killed_nats_server_loses_nothing(system: System, own: OwnServers) -> None:
    async def kill_and_restart(load: Workload) -> None:
        running = own.nats.running()
        assert running is not None
        os.kill(running.pid, signal.SIGKILL)

        async def gone() -> bool:
            return not pid_alive(running.pid)

        await eventually(gone, timeout=10.0)  # its port is free only once it has exited
        await load.until_answered_during_fault(OUTAGE_REQUESTS)
        # Same data folder, same port: JetStream recovers its streams from disk.
        await asyncio.to_thread(own.nats.start)

    figures = await under_load(system, kill_and_restart)
    print(figures.line("SIGKILL nats-server"))


async def test_a_restarted_postgres_loses_nothing(system: System, own: OwnServers) -> None:
    async def restart(load: Workload) -> None:
        await asyncio.to_thread(own.postgres.stop)
        await load.until_answered_during_fault(OUTAGE_REQUESTS)
        await asyncio.to_thread(own.postgres.start)

    figures = await under_load(system, restart)
    print(figures.line("Postgres restart"))


async def test_an_unresponsive_postgres_loses_nothing(system: System, own: OwnServers) -> None:
    async def freeze(load: Workload) -> None:
        frozen = own.freeze_postgres()
        try:
            await asyncio.sleep(5.0)  # the fault is a duration: Postgres stays unresponsive this long
        finally:
            own.thaw_postgres(frozen)

    figures = await under_load(system, freeze)
    print(figures.line("Postgres frozen"))


async def test_a_consumer_paused_past_its_ack_wait_applies_nothing_twice(system: System) -> None:
    paused = system.notifications[0]

    async def pause(load: Workload) -> None:
        paused.signal(signal.SIGSTOP)
        try:
            # The fault is a duration: JetStream must give up on what the paused consumer holds.
            await asyncio.sleep(2 * ACK_WAIT_SECONDS)
        finally:
            paused.signal(signal.SIGCONT)

    figures = await under_load(system, pause)
    print(figures.line("SIGSTOP notifications"))


async def test_a_cut_connection_to_nats_loses_nothing(system: System, nats_link: TcpProxy) -> None:
    async def cut(load: Workload) -> None:
        await nats_link.cut()
        try:
            await asyncio.sleep(3.0)  # the fault is a duration: the link stays cut this long
        finally:
            await nats_link.start()

    figures = await under_load(system, cut)
    print(figures.line("NATS link cut"))
