"""Opening rush: 40,000 voucher applications fired at the vouchers HTTP API at once.

STAP's day of 17 March 2023: 40,000 applications, 300-400 processed per minute. Here the
vouchers service runs as its own process (uvicorn, as ``python -m services.vouchers`` runs it)
against real Postgres and NATS; concurrent clients (aiohttp, pooled keep-alive connections) each
post applications from distinct participants with an ``Idempotency-Key``. Two runs: a
programme with money for 850 vouchers (most applicants end on the waiting list) and one with
money for 34,000 (nearly every application reserves). The programme has the four Gelderland
categories, applicants spread evenly over them, so four category rows take the reservations.

Measured per run: applications answered per second (first request sent → last answer),
p50/p99 latency, errors (anything but 201), 5xx, vouchers issued (must equal the budget) and
the money audit (every category balances, the ledger explains every cent).

Raw baseline in the same run, same servers: the same conditional ``UPDATE ... WHERE available
>= amount RETURNING`` plus an application ``INSERT`` in one statement, straight from asyncpg
with as many connections as the service's pool, over the same number of applications.

Target: all 40,000 answered within 60 s, zero overspend, zero 5xx.

Run alone with ``python -m bench.opening_rush`` (register it in ``bench/__main__.py`` as
``"rush": "bench.opening_rush"`` to run it with ``python -m bench``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
import httpx

from bench.common import CpuMeter, Report, Row, bench_servers, fmt_ms, fmt_rate, percentile, run_loop
from services.vouchers.audit import audit
from services.vouchers.db.read_model import upsert_course
from services.vouchers.domain import GELDERLAND_CATEGORIES
from shared.auth import issue_token
from shared.db.migrations import migrate
from shared.db.pool import create_pool
from shared.settings import DEV_JWT_ISSUER, JWT_AUDIENCE
from tests.support.platform import JWT_SECRET, Platform, open_platform
from tests.support.servers import Servers

NAME = "rush"
TARGET_SECONDS = 60.0
VOUCHER_CENTS = 100_000
SERVICE_POOL = 16


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's options."""
    group = parser.add_argument_group("rush")
    group.add_argument("--rush-applications", type=int, default=40_000, help="applications per run (40000)")
    group.add_argument("--rush-clients", type=int, default=32, help="concurrent HTTP clients (32)")
    group.add_argument(
        "--rush-workers", type=int, default=1, help="uvicorn worker processes of the vouchers service (1)"
    )
    group.add_argument(
        "--rush-budgets", type=str, default="850,34000", help="vouchers the budget pays for, one run each (850,34000)"
    )


@dataclass
class RushResult:
    """What one run measured."""

    vouchers: int
    applications: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    issued: int = 0
    problems: list[str] = field(default_factory=list)
    raw_seconds: float = 0.0
    raw_latencies: list[float] = field(default_factory=list)
    raw_reserved: int = 0
    server_cpu: float = float("nan")  # CPU seconds of the service process per application
    client_cpu: float = float("nan")  # CPU seconds of the benchmark's client per application
    machine_cpu: float = float("nan")
    rest_cpu: float = float("nan")  # CPU seconds per application of everything else: Postgres, NATS, the OS

    @property
    def errors(self) -> int:
        return self.transport_errors + sum(n for s, n in self.statuses.items() if s != 201)

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process and its children (uvicorn workers) have used so far (Linux /proc)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        total += process_cpu_seconds(int(child))
    return total


@dataclass
class ServiceProcess:
    """The running service: its URL and process id."""

    url: str
    pid: int


@contextlib.asynccontextmanager
async def vouchers_process(platform: Platform, log_dir: Path, workers: int) -> AsyncIterator[ServiceProcess]:
    """``python -m services.vouchers`` in a subprocess against this run's database; yields its URL."""
    port = _free_port()
    env = {
        **os.environ,
        "REGIONET_VOUCHERS_DATABASE_URL": platform.dsn("vouchers"),
        "REGIONET_NATS_URL": platform.servers.nats_url,
        "REGIONET_JWT_SECRET": JWT_SECRET,
        "REGIONET_REGION": platform.region,
        "REGIONET_PORT": str(port),
        "REGIONET_DB_POOL_MIN": "4",
        "REGIONET_DB_POOL_MAX": str(max(4, SERVICE_POOL // workers)),
        "REGIONET_WORKERS": str(workers),
        "REGIONET_LOG_LEVEL": os.environ.get("REGIONET_LOG_LEVEL", "WARNING"),
    }
    log = (log_dir / f"vouchers-{port}.log").open("wb")
    profile = os.environ.get("RUSH_PROFILE")  # a path: profile the service with cProfile
    command = [*(["-m", "cProfile", "-o", profile] if profile else []), "-m", "services.vouchers"]
    proc = await asyncio.create_subprocess_exec(sys.executable, *command, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            deadline = time.monotonic() + 60
            while True:
                if proc.returncode is not None:
                    raise RuntimeError(f"the vouchers service exited; see {log.name}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{url}/ready")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the vouchers service was not ready within 60 s; see {log.name}")
                await asyncio.sleep(0.2)
        yield ServiceProcess(url, proc.pid)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly (and a profile gets written)
            try:
                await asyncio.wait_for(proc.wait(), timeout=15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


def _token(role: str, sub: str) -> str:
    return issue_token(JWT_SECRET, sub=sub, role=role, region="gld", issuer=DEV_JWT_ISSUER, audience=JWT_AUDIENCE)


async def _seed(platform: Platform, applications: int) -> tuple[uuid.UUID, list[tuple[uuid.UUID, str]]]:
    """The read model: one course and ``applications`` participants spread over the four situations."""
    pool = await create_pool(platform.dsn("vouchers"), min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, "vouchers", region="gld")
            course = uuid.uuid4()
            await upsert_course(conn, course, provider_id=uuid.uuid4(), title="PLC", price_cents=VOUCHER_CENTS)
            people = [
                (uuid.uuid4(), GELDERLAND_CATEGORIES[i % len(GELDERLAND_CATEGORIES)]) for i in range(applications)
            ]
            await conn.copy_records_to_table(
                "participants",
                records=[(p, t.eligible_situations[0].value, "unknown", [], None) for p, t in people],
                columns=["id", "situation", "age_group", "target_groups", "coach_id"],
                schema_name="vouchers",
            )
            # Each participant signs in as their own account; the officer publishes the programme.
            accounts = [(str(p), "participant", str(p), "gld", True) for p, _ in people]
            await conn.copy_records_to_table(
                "accounts",
                records=[*accounts, ("officer-bench", "programme_officer", "officer-bench", "gld", True)],
                columns=["id", "role", "party", "region", "active"],
                schema_name="vouchers",
            )
        return course, [(p, t.code) for p, t in people]
    finally:
        await pool.close()


async def _create_programme(client: httpx.AsyncClient, url: str, vouchers: int) -> str:
    now = datetime.now(UTC)
    shares = [vouchers // 4 + (1 if i < vouchers % 4 else 0) for i in range(4)]
    body = {
        "name": f"Opening rush, {vouchers} vouchers",
        "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(hours=2)).isoformat(),
        "redeem_by": (now + timedelta(days=365)).isoformat(),
        "budget_cents": vouchers * VOUCHER_CENTS,
        "categories": [
            {
                "code": t.code,
                "name": t.name,
                "voucher_amount_cents": VOUCHER_CENTS,
                "budget_cents": share * VOUCHER_CENTS,
                "eligible_situations": [s.value for s in t.eligible_situations],
            }
            for t, share in zip(GELDERLAND_CATEGORIES, shares, strict=True)
        ],
    }
    headers = {"Authorization": f"Bearer {_token('programme_officer', 'officer-bench')}"}
    response = await client.post(f"{url}/programmes", json=body, headers=headers)
    response.raise_for_status()
    programme_id: str = response.json()["id"]
    return programme_id


async def _fire(
    url: str, programme_id: str, course: uuid.UUID, people: Sequence[tuple[uuid.UUID, str]], clients: int
) -> tuple[float, list[float], dict[int, int], int]:
    """Every participant applies once, ``clients`` requests in flight at a time."""
    requests = [
        (
            f"/programmes/{programme_id}/applications",
            json.dumps({"category": code, "course_id": str(course)}).encode(),
            {
                "Authorization": f"Bearer {_token('participant', str(p))}",
                "Idempotency-Key": f"rush-{p}",
                "Content-Type": "application/json",
            },
        )
        for p, code in people
    ]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    transport_errors = 0
    next_index = 0
    # aiohttp rather than httpx: client and service share two cores here, and httpx spends
    # about four times aiohttp's CPU per request, which would be measured as the service's.
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=120.0)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal next_index, transport_errors
        while next_index < len(requests):
            path, body, headers = requests[next_index]
            next_index += 1
            started = time.perf_counter()
            try:
                async with session.post(url + path, data=body, headers=headers) as response:
                    await response.read()
                    status = response.status
            except aiohttp.ClientError:
                transport_errors += 1
                continue
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, statuses, transport_errors


RAW_SQL = """
WITH res AS (
    UPDATE raw_budget SET available = available - $2, reserved = reserved + $2
     WHERE code = $1 AND available >= $2 RETURNING available
)
INSERT INTO raw_applications (id, code, amount, reserved)
SELECT $3, $1, $2, EXISTS (SELECT 1 FROM res)
RETURNING reserved
"""


async def _raw_baseline(
    platform: Platform, people: Sequence[tuple[uuid.UUID, str]], vouchers: int, connections: int
) -> tuple[float, list[float], int]:
    """The same conditional reservation and insert, straight from asyncpg, no HTTP and no service."""
    pool = await asyncpg.create_pool(platform.dsn("vouchers"), min_size=connections, max_size=connections)
    try:
        async with pool.acquire() as conn:
            await conn.execute(
                "CREATE TABLE raw_budget (code text PRIMARY KEY, available bigint NOT NULL CHECK (available >= 0),"
                " reserved bigint NOT NULL DEFAULT 0);"
                " CREATE TABLE raw_applications (id uuid PRIMARY KEY, code text NOT NULL, amount bigint NOT NULL,"
                " reserved boolean NOT NULL)"
            )
            shares = [vouchers // 4 + (1 if i < vouchers % 4 else 0) for i in range(4)]
            await conn.executemany(
                "INSERT INTO raw_budget (code, available) VALUES ($1, $2)",
                [(t.code, s * VOUCHER_CENTS) for t, s in zip(GELDERLAND_CATEGORIES, shares, strict=True)],
            )
        latencies: list[float] = []
        next_index = 0

        async def worker() -> None:
            nonlocal next_index
            async with pool.acquire() as conn:
                while next_index < len(people):
                    _, code = people[next_index]
                    next_index += 1
                    started = time.perf_counter()
                    await conn.fetchval(RAW_SQL, code, VOUCHER_CENTS, uuid.uuid4())
                    latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
        reserved = await pool.fetchval("SELECT count(*) FROM raw_applications WHERE reserved")
        return elapsed, latencies, int(reserved)
    finally:
        await pool.close()


async def one_run(
    servers: Servers, vouchers: int, applications: int, clients: int, workers: int, log_dir: Path
) -> RushResult:
    """A fresh database and streams, the service in its own process, the rush, the audit, the raw baseline."""
    async with open_platform(servers) as platform:
        course, people = await _seed(platform, applications)
        async with vouchers_process(platform, log_dir, workers) as service:
            async with httpx.AsyncClient() as client:
                programme_id = await _create_programme(client, service.url, vouchers)
            meter = CpuMeter()
            meter.start()
            service_cpu = process_cpu_seconds(service.pid)
            seconds, latencies, statuses, transport_errors = await _fire(
                service.url, programme_id, course, people, clients
            )
            service_cpu = process_cpu_seconds(service.pid) - service_cpu
            meter.stop()
        result = RushResult(
            vouchers=vouchers,
            applications=applications,
            seconds=seconds,
            latencies=latencies,
            statuses=statuses,
            transport_errors=transport_errors,
            machine_cpu=meter.machine_share,
            server_cpu=service_cpu / applications,
            client_cpu=meter.process_share * seconds / applications,
        )
        machine_cpu_seconds = meter.machine_share * (os.cpu_count() or 1) * seconds
        result.rest_cpu = (machine_cpu_seconds - service_cpu) / applications - result.client_cpu
        conn = await asyncpg.connect(platform.dsn("vouchers"))
        try:
            result.issued = int(
                await conn.fetchval("SELECT count(*) FROM applications WHERE status = 'voucher_issued'")
            )
            result.problems = await audit(conn, uuid.UUID(programme_id))
        finally:
            await conn.close()
        result.raw_seconds, result.raw_latencies, result.raw_reserved = await _raw_baseline(
            platform, people, vouchers, SERVICE_POOL
        )
    return result


def report_of(results: Sequence[RushResult], clients: int, workers: int) -> Report:
    """The table: per run, the HTTP figures beside the raw asyncpg baseline."""
    report = Report(NAME, "Opening rush: voucher applications over HTTP vs raw asyncpg")
    for r in results:
        rate = r.applications / r.seconds
        raw_rate = r.applications / r.raw_seconds if r.raw_seconds else float("nan")
        label = f"{r.vouchers:,} vouchers"
        ok_time = r.seconds < TARGET_SECONDS
        p50, p99 = fmt_ms(percentile(r.latencies, 50)), fmt_ms(percentile(r.latencies, 99))
        raw_p50, raw_p99 = fmt_ms(percentile(r.raw_latencies, 50)), fmt_ms(percentile(r.raw_latencies, 99))
        audit_text = "balanced" if not r.problems else "; ".join(r.problems[:3])
        report.rows += [
            Row(f"{label}: answered/s", fmt_rate(rate), f"raw {fmt_rate(raw_rate)} ({rate / raw_rate:.0%})"),
            Row(
                f"{label}: all {r.applications:,} answered in",
                f"{r.seconds:.1f} s",
                f"< {TARGET_SECONDS:.0f} s",
                "ok" if ok_time else "MISSED",
            ),
            Row(f"{label}: p50 / p99", f"{p50} / {p99}", f"raw {raw_p50} / {raw_p99}"),
            Row(
                f"{label}: errors / 5xx", f"{r.errors} / {r.server_errors}", "0 / 0", "ok" if not r.errors else "FAILED"
            ),
            Row(
                f"{label}: vouchers issued",
                f"{r.issued:,}",
                f"budget {r.vouchers:,}; raw {r.raw_reserved:,}",
                "ok" if r.issued == min(r.vouchers, r.applications) else "FAILED",
            ),
            Row(f"{label}: money audit", audit_text, "", "ok" if not r.problems else "FAILED"),
            Row(f"{label}: machine CPU busy", f"{r.machine_cpu:.0%}"),
            Row(
                f"{label}: CPU per application",
                f"service {r.server_cpu * 1e3:.2f} ms",
                f"client {r.client_cpu * 1e3:.2f} ms; Postgres, NATS and the rest {r.rest_cpu * 1e3:.2f} ms",
            ),
        ]
    report.notes += [
        f"{clients} concurrent HTTP clients (aiohttp, keep-alive connections) in the benchmark process; the service"
        f" runs {workers} uvicorn worker process(es) sharing {max(4, SERVICE_POOL // workers) * workers} Postgres"
        " connections; client, service, Postgres and NATS share this machine (2 cores)",
        "each application: a hot route (a plain Starlette route first in FastAPI's router: no FastAPI dependency"
        " resolution), JWT check, then group commit with the"
        " applications arriving meanwhile: one read-model look-up per group and one apply_batch call per group"
        " (idempotency key + per-person and yearly limits + conditional reservation + application + ledger +"
        " outbox events,"
        " decided one by one in arrival order, one transaction per group)",
        "raw: the same conditional UPDATE ... RETURNING + INSERT in one statement per application from asyncpg,"
        f" {SERVICE_POOL} connections, no grouping",
        "STAP processed 300-400 applications per minute (5-7/s)",
    ]
    report.data["runs"] = [
        {
            "vouchers": r.vouchers,
            "applications": r.applications,
            "seconds": r.seconds,
            "answered_per_second": r.applications / r.seconds,
            "p50_ms": percentile(r.latencies, 50) * 1000,
            "p99_ms": percentile(r.latencies, 99) * 1000,
            "statuses": r.statuses,
            "errors": r.errors,
            "server_errors": r.server_errors,
            "issued": r.issued,
            "audit_problems": r.problems,
            "raw_per_second": r.applications / r.raw_seconds if r.raw_seconds else None,
            "raw_p50_ms": percentile(r.raw_latencies, 50) * 1000,
            "raw_p99_ms": percentile(r.raw_latencies, 99) * 1000,
            "raw_reserved": r.raw_reserved,
        }
        for r in results
    ]
    return report


async def run(servers: Servers, args: argparse.Namespace) -> Report:
    """Entry point used by ``python -m bench``."""
    budgets = [int(b) for b in str(args.rush_budgets).split(",") if b.strip()]
    results = []
    with tempfile.TemporaryDirectory(prefix="regionet-rush-") as logs:
        for vouchers in budgets:
            results.append(
                await one_run(
                    servers, vouchers, args.rush_applications, args.rush_clients, args.rush_workers, Path(logs)
                )
            )
    return report_of(results, args.rush_clients, args.rush_workers)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.opening_rush [--rush-applications N] [--rush-clients N] [--rush-budgets A,B]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.opening_rush", description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-uvloop", action="store_true", help="use the default asyncio loop")
    add_arguments(parser)
    args = parser.parse_args(argv)
    with bench_servers() as servers:
        print(f"servers: postgres from {servers.postgres_origin}, nats from {servers.nats_origin}")

        async def go() -> Report:
            return await run(servers, args)

        report, uvloop_used = run_loop(go, want_uvloop=not args.no_uvloop)
        report.notes.insert(0, f"event loop: {'uvloop' if uvloop_used else 'asyncio (default)'}")
        report.print()
        print(f"  written to {report.write()}")
    failed = any(r.verdict == "FAILED" for r in report.rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
