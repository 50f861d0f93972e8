"""Fixtures shared by every test: real servers for the session, a fresh platform per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.folders import server_folder
from tests.support.platform import Platform, open_platform
from tests.support.servers import Servers, test_servers

pytest_plugins = ["tests.support.browser"]


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    """Postgres and NATS for the whole test session."""
    with server_folder("servers") as root, test_servers(root) as found:
        yield found


@pytest.fixture
async def platform(servers: Servers) -> AsyncIterator[Platform]:
    """A fresh database and fresh JetStream streams for one test."""
    async with open_platform(servers) as p:
        yield p
