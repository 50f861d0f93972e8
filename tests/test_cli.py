"""The ``regionet`` command run for real: embedded NATS and Postgres, every service as a process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import nats
import nats.errors
import pytest

from shared.services import SERVICES
from shared.settings import DEV_JWT_ISSUER, JWT_AUDIENCE
from shared.tooling.runtime import supervisor
from shared.tooling.runtime.credentials import load_or_create_secrets
from shared.tooling.runtime.embedded_nats import check_nats_config, nats_config, nats_server_binary, render_nats_conf
from shared.tooling.runtime.errors import StartupError
from tests.support.folders import server_folder
from tests.support.ports import free_port, free_port_run
from tests.support.waiting import eventually

PROJECT = Path(__file__).resolve().parents[1]
REGIONET = Path(sys.executable).parent / "regionet"


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def regionet(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REGIONET), *args], cwd=PROJECT, capture_output=True, text=True, timeout=timeout, check=False
    )


# --- the generated NATS configuration ------------------------------------------------------


def test_generated_config_is_accepted_by_nats_server(tmp_path: Path) -> None:
    conf = tmp_path / "nats.conf"
    secrets = load_or_create_secrets(tmp_path)
    conf.write_text(render_nats_conf(nats_config(tmp_path, "gld", secrets, free_port(), free_port())))

    check_nats_config(conf)  # raises if nats-server -t refuses it

    text = conf.read_text()
    for service in SERVICES:
        assert secrets.nats_passwords[service] in text
    assert '"allow_responses": true' in text


def test_nats_server_refuses_a_broken_config(tmp_path: Path) -> None:
    conf = tmp_path / "nats.conf"
    conf.write_text('"listen": "127.0.0.1:1\n')
    with pytest.raises(StartupError, match="rejects the configuration"):
        check_nats_config(conf)


@contextlib.contextmanager
def nats_server(conf: Path, monitor_port: int) -> Iterator[None]:
    process = subprocess.Popen([str(nats_server_binary()), "-c", str(conf)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not listening(monitor_port):
            assert process.poll() is None, "nats-server exited"
            assert time.monotonic() < deadline, "nats-server did not start"
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(10)


async def test_strings_and_permissions_reach_the_server_intact(tmp_path: Path) -> None:
    """A password full of characters that need escaping still logs in; permissions are enforced."""
    port, monitor = free_port(), free_port()
    config = nats_config(tmp_path, "gld", None, port, monitor)
    tricky = 'p"a\\ss\tw$rd é'
    config["authorization"] = {
        "users": [
            {
                "user": "intake",
                "password": tricky,
                "permissions": {"publish": {"allow": ["gld.intake.>"]}, "subscribe": {"allow": ["_INBOX.>"]}},
            }
        ]
    }
    conf = tmp_path / "nats.conf"
    conf.write_text(render_nats_conf(config))
    errors: list[Exception] = []

    async def collect(exc: Exception) -> None:
        errors.append(exc)

    with nats_server(conf, monitor):
        nc = await nats.connect(f"nats://127.0.0.1:{port}", user="intake", password=tricky, error_cb=collect)
        await nc.publish("gld.intake.participant.registered.v1", b"{}")
        await nc.publish("gld.vouchers.voucher.issued.v1", b"{}")
        await nc.flush()

        async def violation_reported() -> bool:
            return any("permissions violation" in str(e).lower() and "gld.vouchers" in str(e) for e in errors)

        # The violation arrives asynchronously; the server answers in order, so a complaint about
        # the first (allowed) publish would have arrived before this one.
        await eventually(violation_reported, timeout=10.0)
        await nc.close()
        assert not any("gld.intake" in str(e) for e in errors)
        with pytest.raises((nats.errors.Error, OSError)):
            await nats.connect(
                f"nats://127.0.0.1:{port}", user="intake", password="wrong", allow_reconnect=False, error_cb=collect
            )


# --- the command line ------------------------------------------------------------------------


def test_up_reports_a_port_in_use_in_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        result = regionet(
            "up", "--detach", "--root", str(tmp_path),
            "--postgres-port", str(taken),
            "--nats-port", str(free_port()),
            "--nats-monitor-port", str(free_port()),
            "--smtp-port", str(free_port()),
            "--service-port-base", str(free_port_run(len(SERVICES))),
        )  # fmt: skip
    assert result.returncode == 1
    assert f"port {taken} is already in use" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_token_without_a_deployment_says_what_to_do(tmp_path: Path) -> None:
    result = regionet("token", "--root", str(tmp_path / "nothing"), "--role", "coach", "--sub", "c-1")
    assert result.returncode == 1
    assert "regionet up" in result.stderr
    assert "Traceback" not in result.stderr


async def _keepsake(admin_url: str, write: bool) -> list[str]:
    conn = await asyncpg.connect(admin_url)
    try:
        if write:
            await conn.execute("CREATE TABLE public.cli_keepsake (note text NOT NULL)")
            await conn.execute("INSERT INTO public.cli_keepsake VALUES ('still here')")
        return [r["note"] for r in await conn.fetch("SELECT note FROM public.cli_keepsake")]
    finally:
        await conn.close()


@pytest.fixture
def embedded_root() -> Iterator[Path]:
    with server_folder("cli") as folder:
        yield folder


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_up_status_token_down_and_up_again(embedded_root: Path) -> None:
    root = embedded_root / "regionet"
    base = free_port_run(len(SERVICES))
    nats_port, postgres_port, smtp_port = free_port(), free_port(), free_port()
    up_args = [
        "up", "--detach", "--root", str(root),
        "--nats-port", str(nats_port),
        "--nats-monitor-port", str(free_port()),
        "--postgres-port", str(postgres_port),
        "--smtp-port", str(smtp_port),
        "--service-port-base", str(base),
    ]  # fmt: skip
    try:
        started = regionet(*up_args)
        assert started.returncode == 0, started.stdout + started.stderr
        endpoints = json.loads((root / "endpoints.json").read_text())
        assert (root / "endpoints.json").stat().st_mode & 0o777 == 0o600
        assert (root / "secrets.json").stat().st_mode & 0o777 == 0o600
        assert set(endpoints["services"]) == set(SERVICES)
        assert endpoints["nats_url"] == f"nats://127.0.0.1:{nats_port}"
        assert f"127.0.0.1:{postgres_port}/regionet" in endpoints["postgres_admin_url"]

        for offset, (name, service) in enumerate(endpoints["services"].items()):
            assert service["port"] == base + offset
            assert service["url"] in started.stdout, f"{name} URL not printed"
            assert httpx.get(f"{service['url']}/health", timeout=5).status_code == 200
            assert httpx.get(f"{service['url']}/ready", timeout=5).status_code == 200

        status = regionet("status", "--root", str(root), "--json", timeout=60)
        assert status.returncode == 0, status.stdout + status.stderr
        report = json.loads(status.stdout)
        assert report["ready"] is True
        assert listening(smtp_port), "the mail sink is not listening"
        assert report["nats"]["reachable"]
        assert report["postgres"]["reachable"]
        assert all(s["running"] and s["healthy"] and s["ready"] for s in report["services"].values())
        assert "postgres:" not in status.stdout  # the admin password stays in endpoints.json

        issued = regionet("token", "--root", str(root), "--role", "coach", "--sub", "coach-7", "--ttl", "600")
        assert issued.returncode == 0, issued.stderr
        secret = json.loads((root / "secrets.json").read_text())["jwt_secret"]
        claims = jwt.decode(
            issued.stdout.strip(), secret, algorithms=["HS256"], audience=JWT_AUDIENCE, issuer=DEV_JWT_ISSUER
        )
        assert (claims["sub"], claims["role"], claims["region"]) == ("coach-7", "coach", "gld")
        assert claims["exp"] - claims["iat"] == 600

        assert asyncio.run(_keepsake(endpoints["postgres_admin_url"], write=True)) == ["still here"]

        letters = regionet("dlq", "list", "--root", str(root))
        assert letters.returncode == 0, letters.stderr
        assert "No dead letters." in letters.stdout
        missing = regionet("dlq", "replay", "999", "--root", str(root))
        assert missing.returncode == 1
        assert "there is no dead letter with sequence 999" in missing.stderr

        small = ("--participants", "12", "--employers", "3", "--applicants", "4")
        demo = regionet("demo", "--root", str(root), *small)
        assert demo.returncode == 0, demo.stdout + demo.stderr
        loaded = " ".join(demo.stdout.split())
        assert "Loaded the demo region gld: coaches 6 employers 3 providers 5 courses 9 participants 12" in loaded
        assert "programmes 1 applications 4" in loaded
        again = regionet("demo", "--root", str(root), *small)
        assert again.returncode == 1
        assert "already loaded" in again.stderr

        stopped = regionet("down", "--root", str(root), timeout=120)
        assert stopped.returncode == 0, stopped.stderr
        assert not (root / "endpoints.json").exists()
        for port in [nats_port, postgres_port, smtp_port, *(s["port"] for s in endpoints["services"].values())]:
            assert not listening(port), f"port {port} still open after down"

        again = regionet(*up_args)
        assert again.returncode == 0, again.stdout + again.stderr
        admin_url = json.loads((root / "endpoints.json").read_text())["postgres_admin_url"]
        assert admin_url == endpoints["postgres_admin_url"]
        assert asyncio.run(_keepsake(admin_url, write=False)) == ["still here"]
    finally:
        regionet("down", "--root", str(root), timeout=120)


# --- the supervisor keeps services running ---------------------------------------------------


def test_a_service_that_keeps_crashing_is_started_again_with_back_off_then_given_up(tmp_path: Path) -> None:
    # A real service process that exits at once: its settings cannot be read.
    environment = {**os.environ, "REGIONET_MATCHING_PORT": "not-a-port"}
    endpoint = supervisor.ServiceEndpoint(url="http://127.0.0.1:1", port=1, pid=0, docs="", log="")
    endpoints = supervisor.Endpoints(
        region="gld",
        mode="external",
        nats_url="nats://127.0.0.1:1",
        postgres_admin_url="postgresql://127.0.0.1:1/regionet",
        services={"matching": endpoint},
        started_at="now",
    )
    process = supervisor._start_service(tmp_path, "matching", environment)
    deployment = supervisor.Deployment(
        tmp_path, endpoints, {"matching": process}, {"matching": environment}, restart_delays=(0.05,)
    )
    said: list[str] = []
    deadline = time.monotonic() + 120
    while not deployment.endpoints.services["matching"].gave_up:
        assert time.monotonic() < deadline, said
        deployment.supervise_once(said.append, time.monotonic())
        time.sleep(0.05)
    restarts = [line for line in said if line.startswith("the matching service exited with code 1")]
    assert len(restarts) == supervisor.MAX_CRASHES
    assert said[-1].startswith("GIVING UP on the matching service")
    recorded = supervisor.Endpoints.load(tmp_path).services["matching"]
    assert (recorded.restarts, recorded.gave_up) == (supervisor.MAX_CRASHES, True)
    assert "not-a-port" in supervisor.service_log_path(tmp_path, "matching").read_text()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_killed_service_of_a_detached_deployment_is_started_again(embedded_root: Path) -> None:
    root = embedded_root / "regionet"
    up_args = [
        "up", "--detach", "--root", str(root),
        "--nats-port", str(free_port()),
        "--nats-monitor-port", str(free_port()),
        "--postgres-port", str(free_port()),
        "--smtp-port", str(free_port()),
        "--service-port-base", str(free_port_run(len(SERVICES))),
    ]  # fmt: skip
    try:
        started = regionet(*up_args)
        assert started.returncode == 0, started.stdout + started.stderr
        before = json.loads((root / "endpoints.json").read_text())
        assert before["supervisor_pid"] is not None
        os.kill(before["services"]["vouchers"]["pid"], signal.SIGKILL)

        def restarted() -> dict[str, Any] | None:
            status = regionet("status", "--root", str(root), "--json", timeout=60)
            vouchers = json.loads(status.stdout)["services"]["vouchers"]
            ok = vouchers["pid"] != before["services"]["vouchers"]["pid"] and vouchers["ready"]
            return vouchers if ok else None

        vouchers = asyncio.run(eventually(lambda: asyncio.to_thread(restarted), timeout=120, interval=1.0))
        assert vouchers is not None
        assert vouchers["restarts"] == 1
        log = supervisor.supervisor_log_path(root).read_text()
        assert "the vouchers service exited with code -9; starting it again" in log
        assert "started the vouchers service again" in log

        stopped = regionet("down", "--root", str(root), timeout=120)
        assert stopped.returncode == 0, stopped.stderr
        assert "supervisor" in stopped.stdout
        for service in before["services"].values():
            assert not listening(service["port"])
    finally:
        regionet("down", "--root", str(root), timeout=120)
