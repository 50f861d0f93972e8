"""A three-node NATS cluster, streams with three replicas: the stream leader killed under load loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats.errors
import nats.js.errors
import pytest
import pytest_asyncio

from shared.bus.topology import STREAMS, declare_topology
from tests.reliability.harness import (
    DELIVERY_DEADLINE_SECONDS,
    OwnServers,
    System,
    Workload,
    running_system,
    under_load,
)
from tests.support.folders import server_folder
from tests.support.nats_cluster import NatsCluster, nats_cluster
from tests.support.platform import Platform, open_platform
from tests.support.servers import Servers
from tests.support.waiting import eventually

NO_PEERS_FOR_PLACEMENT = 10005  # JetStream's error code: "no suitable peers for placement"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240), pytest.mark.asyncio(loop_scope="module")]


@pytest.fixture(scope="module")
def cluster() -> Iterator[NatsCluster]:
    """Three routed nats-server processes."""
    with server_folder("cluster") as root, nats_cluster(root) as found:
        yield found


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_platform(own: OwnServers, cluster: NatsCluster) -> AsyncIterator[Platform]:
    """A fresh database on the suite's Postgres, and every stream on the cluster with three replicas."""
    servers = Servers(own.servers.admin_dsn, cluster.nodes[0].url, "embedded", "cluster")
    async with open_platform(servers) as platform:
        for stream in STREAMS:
            await platform.js.delete_stream(stream.name)

        async def declared() -> bool:
            """Whether every stream got its three replicas; False while a peer is not yet seen by the meta leader."""
            try:
                await declare_topology(platform.js, platform.region, replicas=3)
            except nats.js.errors.BadRequestError as exc:
                if exc.err_code != NO_PEERS_FOR_PLACEMENT:
                    raise
                return False
            return True

        await eventually(declared, timeout=30, interval=0.5)
        yield platform


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_system(
    module_platform: Platform, cluster: NatsCluster, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    """The services, connected to one node; they learn the others from it."""
    folder: Path = tmp_path_factory.mktemp("cluster-services")
    async with running_system(module_platform, folder, nats_url=cluster.nodes[0].url) as system:
        yield system


async def test_the_stream_leader_killed_under_load_loses_nothing_acknowledged(
    system: System, cluster: NatsCluster
) -> None:
    js = system.platform.js
    killed: list[str] = []

    async def stream_leader() -> str:
        """The leader's server name; empty while there is none, or no answer (an election, a busy node)."""
        try:
            info = await js.stream_info("INTAKE")
        except (nats.errors.Error, TimeoutError):
            return ""
        return (info.cluster.leader or "") if info.cluster else ""

    async def kill_the_leader(load: Workload) -> None:
        leader = cluster.node(await eventually(stream_leader, timeout=DELIVERY_DEADLINE_SECONDS, interval=0.2))
        killed.append(leader.name)
        await asyncio.to_thread(cluster.kill, leader)

        async def new_leader() -> bool:
            return (await stream_leader()) not in ("", leader.name)

        await eventually(new_leader, timeout=DELIVERY_DEADLINE_SECONDS, interval=0.2)
        await load.until_answered_during_fault(30)  # the stream works on two nodes for a while
        # It comes back on its own store and catches up from the new leader.
        cluster.start(leader)
        await asyncio.to_thread(cluster.wait_healthy, leader)

    figures = await under_load(system, kill_the_leader)
    print(figures.line(f"SIGKILL INTAKE stream leader {killed[0]}"))
