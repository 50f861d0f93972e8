"""A service started the way deployments start it: ``python -m services.<name>`` with settings in env vars."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.platform import JWT_SECRET, Platform
from tests.support.ports import free_port

PROJECT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # real processes: run apart from the parallel part of the suite


def spawned_workers(pid: int) -> list[int]:
    """Child processes started by multiprocessing's spawn (uvicorn's workers)."""
    try:
        kids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return [c for c in kids if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()]


async def test_a_service_runs_several_worker_processes_on_one_port(platform: Platform, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "REGIONET_MATCHING_DATABASE_URL": platform.dsn("matching"),
        "REGIONET_NATS_URL": platform.servers.nats_url,
        "REGIONET_JWT_SECRET": JWT_SECRET,
        "REGIONET_REGION": platform.region,
        "REGIONET_PORT": str(port),
        "REGIONET_WORKERS": "2",
    }
    log = (tmp_path / "matching.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.matching", env=env, cwd=PROJECT, stdout=log, stderr=log
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(300):
                try:
                    if (await client.get("/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError((tmp_path / "matching.log").read_text())
            answers = [(await client.get("/health")).json() for _ in range(5)]
        assert answers == [{"status": "ok", "service": "matching"}] * 5
        if sys.platform == "linux":  # uvicorn's supervisor spawns one process per worker
            assert len(spawned_workers(proc.pid)) == 2, (tmp_path / "matching.log").read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
