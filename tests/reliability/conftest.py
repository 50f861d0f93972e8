"""The fault suite runs on servers of its own, which its tests kill and restart.

Starting the services costs most of a test's time on a busy machine, so each module starts
them once, behind a TCP proxy to NATS that its tests may cut; each test then works on a
programme and applicants of its own, and checks everything the module has done so far.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.reliability.harness import OwnServers, System, own_servers, running_system
from tests.support.folders import server_folder
from tests.support.platform import Platform, open_platform
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture(scope="session")
def own() -> Iterator[OwnServers]:
    """A Postgres and a NATS server for the fault suite only."""
    with server_folder("reliability") as root, own_servers(root) as found:
        yield found


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_platform(own: OwnServers) -> AsyncIterator[Platform]:
    """A fresh database and streams on the suite's servers, for one module."""
    async with open_platform(own.servers) as p:
        yield p


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def nats_link(own: OwnServers) -> AsyncIterator[TcpProxy]:
    """The proxy every service reaches NATS through."""
    proxy = TcpProxy("127.0.0.1", own.nats.port)
    await proxy.start()
    yield proxy
    await proxy.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_system(
    module_platform: Platform, nats_link: TcpProxy, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    """The services, one replica each, started once for the module."""
    folder: Path = tmp_path_factory.mktemp("services")
    async with running_system(module_platform, folder, nats_url=f"nats://127.0.0.1:{nats_link.port}") as system:
        yield system


@pytest_asyncio.fixture(loop_scope="module")
async def system(own: OwnServers, nats_link: TcpProxy, module_system: System) -> System:
    """The module's services, healthy again whatever the previous test left behind, with a new programme."""
    await asyncio.to_thread(own.ensure_running)
    await nats_link.start()
    await module_system.ensure_ready()
    await module_system.new_programme(applicants=40)
    return module_system
