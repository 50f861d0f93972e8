"""Intake: registrations per second through real HTTP, and list-query latency at 100,000 participants.

Measures, in one run against the same servers:

1. registrations through the HTTP API: the intake service runs under uvicorn on a free local
   port (with its outbox relay publishing to JetStream); C client tasks POST /participants as
   coaches; rate = N / elapsed. Also the time until every event of the run was published;
2. the raw baseline: single-row ``INSERT`` statements of the same columns into a scratch table
   by asyncpg with the same concurrency and pool size (no HTTP, no validation, no events, no
   encryption: the sealed columns get random bytes of the same length, and no key row);
3. list queries: 100,000 participants sealed with a key each and bulk-loaded with ``COPY``, then GET /participants as an
   administrator and as coaches with each filter (coach, status, target group, situation,
   postcode area) and deep pages; p50/p95 per query kind and overall, every read access-logged.

Target (information only, never asserted): list queries under 50 ms p95.
Client and server share one process and event loop, so the HTTP figures include client cost.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx

from bench.common import Report, Row, fmt_ms, fmt_rate, percentile, serving
from services.intake.app import definition as intake
from services.intake.db.participants import PERSONAL, sealed
from services.intake.vault import Vault
from shared.events.contracts.intake import Situation, TargetGroup, TrajectoryStatus
from tests.support.platform import Platform, open_platform
from tests.support.servers import Servers

NAME = "intake"
TARGET_P95_SECONDS = 0.050
COACHES = [f"coach-{i:03d}" for i in range(100)]
AREAS = [str(6800 + i) for i in range(200)]
POOL_SIZE = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's options."""
    group = parser.add_argument_group("intake")
    group.add_argument("--registrations", type=int, default=3_000, help="HTTP registrations (3000)")
    group.add_argument("--concurrency", type=int, default=32, help="concurrent clients and raw inserters (32)")
    group.add_argument("--participants", type=int, default=100_000, help="participants bulk-loaded for lists (100000)")
    group.add_argument("--list-queries", type=int, default=100, help="requests per list query kind (100)")


def registration(i: int) -> dict[str, Any]:
    """A realistic registration body."""
    return {
        "name": f"Deelnemer {i}",
        "email": f"deelnemer{i}@example.nl",
        "phone": "06 12345678",
        "birth_date": "1980-05-17",
        "postcode": f"{random.choice(AREAS)} AB",
        "situation": random.choice(list(Situation)).value,
        "target_groups": ["woman"],
        "consents": ["matching"],
        "skills": ["lassen", "heftruck"],
    }


async def concurrently(count: int, workers: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Run ``one(i)`` for i in range(count) on ``workers`` tasks; the elapsed seconds."""
    numbers = iter(range(count))

    async def worker() -> None:
        for i in numbers:
            await one(i)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.perf_counter() - started


async def http_registrations(platform: Platform, url: str, count: int, workers: int) -> tuple[float, float]:
    """Registrations per second over HTTP, and seconds until the outbox was empty afterwards."""
    tokens = {coach: {"Authorization": f"Bearer {platform.token('coach', coach)}"} for coach in COACHES}
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def one(i: int) -> None:
            response = await client.post("/participants", json=registration(i), headers=tokens[COACHES[i % 100]])
            response.raise_for_status()

        await concurrently(min(200, count), workers, one)  # warm-up: connections, plans, coach accounts
        elapsed = await concurrently(count, workers, one)
    started = time.perf_counter()
    admin = await asyncpg.connect(platform.admin_dsn)
    try:
        # The relay deletes rows once JetStream acknowledged them; nothing to wait on but the table.
        while await admin.fetchval("SELECT count(*) FROM intake.outbox"):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    finally:
        await admin.close()
    return count / elapsed, time.perf_counter() - started


async def raw_inserts(platform: Platform, count: int, workers: int) -> float:
    """Single-row asyncpg INSERTs of the same columns into a scratch table, per second."""
    pool = await asyncpg.create_pool(platform.admin_dsn, min_size=POOL_SIZE, max_size=POOL_SIZE)
    try:
        await pool.execute("CREATE TABLE bench_raw_participants (LIKE intake.participants INCLUDING ALL)")
        sql = (
            "INSERT INTO bench_raw_participants (id, name_sealed, email_sealed, phone_sealed, birth_date_sealed,"
            " postcode_sealed, postcode_area, situation, target_groups, skills, coach_id, registered_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        )
        # Sealed fields are as long as the service's (nonce + text + tag); the bytes themselves do not matter.
        sealed = [os.urandom(28 + len(text)) for text in ("Deelnemer 1234", "d1234@example.nl", "06 12345678")]

        async def one(i: int) -> None:
            coach = COACHES[i % 100]
            await pool.execute(
                sql, uuid.uuid4(), *sealed, os.urandom(38), os.urandom(35),
                "6811", "student", ["woman"], ["lassen"], coach, coach,
            )  # fmt: skip

        await concurrently(min(200, count), workers, one)
        elapsed = await concurrently(count, workers, one)
        await pool.execute("DROP TABLE bench_raw_participants")
        return count / elapsed
    finally:
        await pool.close()


async def bulk_load(platform: Platform, count: int) -> float:
    """COPY ``count`` participants into intake; the seconds it took."""
    rng = random.Random(7)
    statuses = [s.value for s in TrajectoryStatus]
    situations = [s.value for s in Situation]
    groups = [g.value for g in TargetGroup]
    conn = await asyncpg.connect(platform.admin_dsn)
    try:
        started = time.perf_counter()
        await conn.execute(
            "INSERT INTO intake.coaches (id, region) SELECT unnest($1::text[]), 'gld' ON CONFLICT DO NOTHING", COACHES
        )
        # Sealed as the service seals them: a data key per person, wrapped with the service's key.
        vault = Vault.from_settings(platform.settings("intake"))
        keys = vault.new_keys([uuid.uuid4() for _ in range(count)])
        records = []
        for i, (key, _) in enumerate(keys):
            area = rng.choice(AREAS)
            coach = rng.choice(COACHES) if rng.random() < 0.9 else None
            personal = {
                "name": f"Geladen Deelnemer {i}", "email": f"geladen{i}@example.nl", "phone": "06 12345678",
                "birth_date": dt.date(1960 + i % 45, 1 + i % 12, 1 + i % 28), "postcode": f"{area} AB",
            }  # fmt: skip
            records.append(
                (
                    key.participant_id, *sealed(key, personal).values(), area,
                    rng.choice(situations), rng.sample(groups, rng.randint(0, 2)),
                    ["lassen"], coach, rng.choice(statuses), "bench",
                )
            )  # fmt: skip
        await conn.copy_records_to_table(
            "participants",
            schema_name="intake",
            records=records,
            columns=[
                "id", *(f"{field}_sealed" for field in PERSONAL), "postcode_area", "situation",
                "target_groups", "skills", "coach_id", "status", "registered_by",
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "participant_keys",
            schema_name="intake",
            records=[(w.participant_id, w.kek_id, w.wrapped) for _, w in keys],
            columns=["participant_id", "kek_id", "wrapped_key"],
        )
        await conn.execute("ANALYZE intake.participants")
        return time.perf_counter() - started
    finally:
        await conn.close()


async def list_latencies(platform: Platform, url: str, per_kind: int) -> dict[str, list[float]]:
    """Seconds per GET /participants, per query kind."""
    admin = {"Authorization": f"Bearer {platform.token('admin', 'admin-bench')}"}
    coaches = {c: {"Authorization": f"Bearer {platform.token('coach', c)}"} for c in COACHES}

    def coach(r: random.Random) -> dict[str, str]:
        return coaches[r.choice(COACHES)]

    kinds: dict[str, Callable[[random.Random], tuple[dict[str, str], dict[str, Any]]]] = {
        "admin, first page": lambda r: (admin, {}),
        "admin, by coach": lambda r: (admin, {"coach_id": r.choice(COACHES)}),
        "admin, by status": lambda r: (admin, {"status": r.choice(["intake", "active", "placed"])}),
        "admin, by situation": lambda r: (admin, {"situation": r.choice(list(Situation)).value}),
        "admin, by target group": lambda r: (admin, {"target_group": r.choice(list(TargetGroup)).value}),
        "admin, by postcode area": lambda r: (admin, {"postcode_area": r.choice(AREAS)}),
        "admin, deep page": lambda r: (admin, {"after": r.randint(50_000, 95_000)}),
        "admin, area + status": lambda r: (admin, {"postcode_area": r.choice(AREAS), "status": "active"}),
        "coach, own caseload": lambda r: (coach(r), {}),
        "coach, caseload by area": lambda r: (coach(r), {"postcode_area": r.choice(AREAS)}),
    }  # fmt: skip
    rng = random.Random(11)
    found: dict[str, list[float]] = {kind: [] for kind in kinds}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for _ in range(5):  # warm-up
            for make in kinds.values():
                headers, params = make(rng)
                (await client.get("/participants", params=params, headers=headers)).raise_for_status()
        for _ in range(per_kind):
            for kind, make in kinds.items():
                headers, params = make(rng)
                started = time.perf_counter()
                response = await client.get("/participants", params=params, headers=headers)
                found[kind].append(time.perf_counter() - started)
                response.raise_for_status()
    return found


async def run(servers: Servers, args: argparse.Namespace) -> Report:
    """The whole benchmark."""
    report = Report(NAME, "intake registrations over HTTP vs raw INSERT; list p95 at 100k participants")
    async with open_platform(servers) as platform, serving(platform, intake, POOL_SIZE) as url:
        await platform.enrol_all([("admin", "admin-bench", "admin-bench"), *(("coach", c, c) for c in COACHES)])
        http_rate, drain = await http_registrations(platform, url, args.registrations, args.concurrency)
        raw_rate = await raw_inserts(platform, args.registrations, args.concurrency)
        report.rows += [
            Row(f"raw single-row INSERT, {args.concurrency} tasks ({args.registrations:,})", fmt_rate(raw_rate)),
            Row(
                f"POST /participants over HTTP with events, {args.concurrency} clients",
                fmt_rate(http_rate),
                f"{http_rate / raw_rate:.1%} of raw",
            ),
            Row("  outbox drained after the last answer", fmt_ms(drain)),
        ]
        load_seconds = await bulk_load(platform, args.participants)
        total = args.participants + args.registrations + min(200, args.registrations)
        latencies = await list_latencies(platform, url, args.list_queries)
    report.rows.append(Row(f"COPY {args.participants:,} participants", f"{load_seconds:.1f} s", f"{total:,} in table"))
    everything: list[float] = []
    for kind, values in latencies.items():
        everything += values
        p95 = percentile(values, 95)
        report.rows.append(
            Row(
                f"GET /participants {kind} p50 / p95",
                f"{fmt_ms(percentile(values, 50))} / {fmt_ms(p95)}",
                f"target < {fmt_ms(TARGET_P95_SECONDS)}",
                "PASS" if p95 < TARGET_P95_SECONDS else "FAIL",
            )
        )
    overall = percentile(everything, 95)
    report.rows.append(
        Row(
            "GET /participants, all kinds, p95",
            fmt_ms(overall),
            f"{overall / TARGET_P95_SECONDS:.0%} of the 50 ms target",
            "PASS" if overall < TARGET_P95_SECONDS else "FAIL",
        )
    )
    report.notes.append("client and server share one process and event loop; HTTP figures include client cost")
    report.notes.append("every list answer of 50 participants also writes 50 access-log rows")
    report.notes.append("every registration makes a data key; every participant listed opens theirs (crypto-shredding)")
    report.data.update(
        {
            "http_registrations_per_s": http_rate,
            "raw_inserts_per_s": raw_rate,
            "ratio": http_rate / raw_rate,
            "outbox_drain_s": drain,
            "list_p95_s": {k: percentile(v, 95) for k, v in latencies.items()},
            "list_p95_overall_s": overall,
        }
    )
    return report
