"""A service run as a real process (``python -m services.<name>``) that a test can kill, pause and restart."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import httpx

from tests.support.platform import JWT_SECRET, Platform
from tests.support.ports import free_port

PROJECT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 45.0


class ServiceProcess:
    """One replica of a service on its own port, logging to ``<folder>/<label>.log``.

    ``nats_url`` lets a replica reach NATS through something else than the platform's URL
    (a proxy the test controls); restarts keep the port, so clients keep their base URL.
    """

    def __init__(
        self, platform: Platform, service: str, folder: Path, *, label: str | None = None, nats_url: str | None = None
    ) -> None:
        self.service = service
        self.label = label or service
        self.port = free_port()
        self.log = folder / f"{self.label}.log"
        self.restarts = 0
        self._process: asyncio.subprocess.Process | None = None
        # The test's own environment must not leak settings into the service.
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGIONET_")}
        prefix = f"REGIONET_{service.upper()}_"
        env |= {
            f"{prefix}DATABASE_URL": platform.dsn(service),
            f"{prefix}PORT": str(self.port),
            "REGIONET_NATS_URL": nats_url or platform.servers.nats_url,
            "REGIONET_JWT_SECRET": JWT_SECRET,
            "REGIONET_REGION": platform.region,
            "REGIONET_DB_POOL_MIN": "1",
            "REGIONET_DB_POOL_MAX": "4",
            "REGIONET_LOG_LEVEL": "WARNING",
        }
        self._env = env

    @property
    def url(self) -> str:
        """Where the replica answers HTTP."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        """True while the process has not exited."""
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int:
        """The running process's id."""
        assert self._process is not None, f"{self.label} is not running"
        return self._process.pid

    async def start(self) -> None:
        """Start the process and wait until it reports ready (Postgres, NATS and JetStream reachable)."""
        with self.log.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                f"services.{self.service}",
                env=self._env,
                cwd=PROJECT,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        await self.wait_ready()

    async def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Poll ``/ready`` until it answers 200; fail with the log's tail if the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._process is None or self._process.returncode is not None:
                    raise AssertionError(f"{self.label} exited while starting:\n{self.tail()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/ready")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise AssertionError(f"{self.label} not ready within {timeout:.0f} s:\n{self.tail()}")

    def signal(self, sig: signal.Signals) -> None:
        """Send a signal to the process (SIGKILL, SIGSTOP, SIGCONT)."""
        os.kill(self.pid, sig)

    async def kill(self) -> None:
        """SIGKILL, and wait until the process is gone."""
        process = self._process
        assert process is not None
        if process.returncode is None:
            process.kill()
        await asyncio.wait_for(process.wait(), 10.0)

    async def restart(self) -> None:
        """Start again on the same port after a kill."""
        self.restarts += 1
        await self.start()

    async def stop(self) -> None:
        """SIGINT (uvicorn's graceful stop), SIGKILL if it lingers; safe when already gone or paused."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGCONT)  # a paused process cannot act on SIGINT
            process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 15.0)
        except TimeoutError:
            process.kill()
            await process.wait()

    def tail(self, lines: int = 40) -> str:
        """The end of the replica's log."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"
