"""Notifications: voucher events turned into feed entries, emails and webhooks, against the raw consume rate.

Measures, in one run against the same servers:

1. the raw baseline: messages of a ``voucher.issued`` envelope's size published with
   ``publish_async`` and drained by a pull consumer with ``fetch(100)`` + ``ack`` (as the
   ``outbox`` benchmark does);
2. the service: intake (for the contact lookup) runs in this process; notifications runs as its
   own process (``python -m services.notifications``, as deployed) and its senders in a second
   one (``python -m services.notifications.workers``; ``--notification-senders service`` runs
   them inside the service process instead); an SMTP server counting what it is sent runs as a
   third process (``bench.smtp_sink``), the webhook receiver in this one. P participants
   registered at intake with an address and email consent, their accounts (and coaches' and
   providers') enrolled, one internal webhook endpoint subscribed to
   ``vouchers.voucher.issued.v1`` at the receiver. N ``voucher.issued`` events are published to
   JetStream as vouchers' relay would; each
   makes three feed entries (participant, coach, provider), one email and one webhook.
   Deliveries per second = every feed entry, email and webhook / (first publish → last one
   done); events per second = N / (first publish → last event handled), compared with the raw
   rate. Per delivery, event → delivered: the entry's commit, the email's recorded send, the
   webhook's recorded 2xx, each minus the moment its event was published.

Targets (information only): every delivery done within 120 s of the last event; events handled at
≥ 25 % of the raw rate.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from bench.common import Report, Row, fmt_ms, fmt_rate, percentile
from bench.outbox_pipeline import raw_baseline
from services.intake.app import definition as intake
from shared.bus.topology import consumer_spec
from shared.events.contracts.vouchers import VoucherIssued
from shared.events.envelope import Envelope as EventEnvelope
from tests.support.platform import JWT_SECRET, Platform, open_platform, run_service
from tests.support.ports import free_port
from tests.support.servers import Servers

NAME = "notifications"
TARGET_TAIL_SECONDS = 120.0
TARGET_RATIO = 0.25
DONE_TIMEOUT_SECONDS = 900.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's options."""
    group = parser.add_argument_group("notifications")
    group.add_argument("--notification-events", type=int, default=40_000, help="voucher.issued events (40000)")
    group.add_argument("--notification-participants", type=int, default=200, help="participants they are about (200)")
    group.add_argument(
        "--notification-senders",
        choices=("workers", "service"),
        default="workers",
        help="senders in a process of their own (workers, the default) or inside the service process (service)",
    )
    group.add_argument("--notification-workers", type=int, default=2, help="sender processes (2)")
    group.add_argument(
        "--notification-replicas", type=int, default=2, help="service processes (REGIONET_WORKERS), each a replica (2)"
    )
    group.add_argument(
        "--notification-worker-nice", type=int, default=10, help="the sender processes' nice value (10): events first"
    )
    group.add_argument(
        "--notification-batch",
        type=int,
        default=500,
        help="events the service's consumers fetch and handle at once (500)",
    )


class Hooks:
    """What the webhook receiver got: requests, and the distinct webhook-ids among them."""

    def __init__(self) -> None:
        self.requests = 0
        self.ids: set[str] = set()


@contextlib.asynccontextmanager
async def webhook_receiver(hooks: Hooks) -> AsyncIterator[str]:
    """A partner's endpoint that answers 204 to everything and counts what it got; its URL."""
    port = free_port()

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        hooks.requests += 1
        hooks.ids.add(request.headers.get("webhook-id", ""))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hooks", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/hooks"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def _process(
    module: str,
    env: dict[str, str],
    log: Path,
    ready_url: str | None,
    nice: int = 0,
    arguments: tuple[str, ...] = (),
) -> AsyncIterator[None]:
    """``python -m module`` with ``env``; waits for ``ready_url`` to answer 200 when given; SIGINT at the end."""
    command = ["nice", "-n", str(nice)] if nice else []
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *command, sys.executable, "-m", module, *arguments, env={**os.environ, **env}, stdout=out, stderr=out
        )
    try:
        if ready_url is not None:
            deadline = time.monotonic() + 60
            async with aiohttp.ClientSession() as client:
                while True:
                    if proc.returncode is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"{module} did not get ready; see {log}")
                    with contextlib.suppress(aiohttp.ClientError):
                        async with client.get(ready_url) as answer:
                            if answer.status == 200:
                                break
                    await asyncio.sleep(0.2)
        yield
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), timeout=15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


def _environment(
    platform: Platform, port: int, smtp_port: int, *, senders_in_service: bool, batch: int, replicas: int
) -> dict[str, str]:
    return {
        "REGIONET_WORKERS": str(replicas),
        "REGIONET_NOTIFICATIONS_DATABASE_URL": platform.dsn("notifications"),
        "REGIONET_NATS_URL": platform.servers.nats_url,
        "REGIONET_JWT_SECRET": JWT_SECRET,
        "REGIONET_REGION": platform.region,
        "REGIONET_PORT": str(port),
        "REGIONET_LOG_LEVEL": os.environ.get("REGIONET_LOG_LEVEL", "WARNING"),
        "REGIONET_CONSUMER_BATCH_SIZE": str(batch),
        "REGIONET_NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
        "REGIONET_NOTIFICATIONS_SMTP_PORT": str(smtp_port),
        "REGIONET_NOTIFICATIONS_SMTP_SECURITY": "none",
        "REGIONET_NOTIFICATIONS_SENDERS_IN_SERVICE": "true" if senders_in_service else "false",
    }


async def _listening(port: int) -> None:
    """Wait until something accepts connections on ``port``."""
    deadline = time.monotonic() + 30
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on port {port}") from None
            await asyncio.sleep(0.1)
        else:
            writer.close()
            return


async def _enrol(platform: Platform, rows: list[tuple[str, str, str]]) -> None:
    conn = await asyncpg.connect(platform.admin_dsn)
    try:
        await conn.executemany(
            "INSERT INTO notifications.accounts (id, role, party, region, active, language)"
            " VALUES ($1, $2, $3, 'gld', true, 'nl')",
            rows,
        )
    finally:
        await conn.close()


async def _caseload_known(platform: Platform, people: int) -> None:
    """Wait until notifications learnt every participant's coach from intake's events."""
    conn = await asyncpg.connect(platform.admin_dsn)
    try:
        deadline = time.monotonic() + DONE_TIMEOUT_SECONDS
        while await conn.fetchval("SELECT count(*) FROM notifications.caseload") < people:
            if time.monotonic() > deadline:
                raise RuntimeError("intake's registrations did not reach notifications")
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def _admin_fetch(platform: Platform, sql: str) -> list[asyncpg.Record]:
    """Rows of a query, read as the administrator."""
    conn = await asyncpg.connect(platform.admin_dsn)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(sql)
        return rows
    finally:
        await conn.close()


async def _events_handled(platform: Platform, last_sequence: int, deadline: float) -> float | None:
    """When the service's consumer had acknowledged every event, or None if it had not by ``deadline``.

    An event is acknowledged after the transaction that wrote its feed entries and delivery
    intents committed. Asking JetStream for the consumer's acknowledgement floor costs the
    database nothing, where counting feed rows while the service writes them would take
    Postgres time from the service being measured.
    """
    spec = consumer_spec("notifications-vouchers")
    while time.monotonic() < deadline:
        info = await platform.js.consumer_info(spec.stream, spec.durable)
        if info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= last_sequence:
            return time.perf_counter()
        await asyncio.sleep(0.1)
    return None


async def _progress(platform: Platform) -> dict[str, Any]:
    (row,) = await _admin_fetch(
        platform,
        "SELECT (SELECT count(*) FROM notifications.notifications WHERE kind = 'voucher.issued') AS feed,"
        " (SELECT count(*) FROM notifications.deliveries WHERE status <> 'pending') AS emails,"
        " (SELECT count(*) FROM notifications.webhook_deliveries WHERE status <> 'pending') AS webhooks,"
        " (SELECT count(*) FROM notifications.deliveries WHERE status = 'sent') AS sent,"
        " (SELECT count(*) FROM notifications.webhook_deliveries WHERE status = 'delivered') AS delivered",
    )
    return dict(row)


async def _failed_attempts(platform: Platform) -> dict[str, int]:
    """Webhook attempts that did not get a 2xx, by what they got (each one was tried again)."""
    rows = await _admin_fetch(
        platform,
        "SELECT coalesce(error, status_code::text) AS what, count(*) AS n FROM notifications.webhook_attempts"
        " WHERE status_code IS NULL OR status_code NOT BETWEEN 200 AND 299 GROUP BY 1 ORDER BY 2 DESC",
    )
    return {r["what"]: r["n"] for r in rows}


async def _latencies(platform: Platform, published: dict[uuid.UUID, datetime]) -> dict[str, list[float]]:
    conn = await asyncpg.connect(platform.admin_dsn)
    try:
        found: dict[str, list[float]] = {"feed": [], "email": [], "webhook": []}
        queries = {
            "feed": "SELECT event_id, created_at AS done FROM notifications.notifications"
            " WHERE kind = 'voucher.issued'",
            "email": "SELECT event_id, sent_at AS done FROM notifications.deliveries WHERE status = 'sent'",
            "webhook": "SELECT event_id, delivered_at AS done FROM notifications.webhook_deliveries"
            " WHERE status = 'delivered'",
        }
        for kind, sql in queries.items():
            for r in await conn.fetch(sql):
                found[kind].append((r["done"] - published[r["event_id"]]).total_seconds())
        return found
    finally:
        await conn.close()


async def run(servers: Servers, args: argparse.Namespace) -> Report:
    """Raw baseline, then the service under the same load of events."""
    events, people = args.notification_events, args.notification_participants
    size = len(_event(uuid.uuid4(), uuid.uuid4()).to_bytes())
    raw = await raw_baseline(servers.nats_url, events, 100, size)

    hooks = Hooks()
    in_service = args.notification_senders == "service"
    smtp_port = free_port()
    with tempfile.TemporaryDirectory(prefix="notify-bench-") as folder:
        log_dir = Path(folder)
        async with (
            open_platform(servers) as platform,
            webhook_receiver(hooks) as hook_url,
            contextlib.AsyncExitStack() as stack,
        ):
            mail_server = contextlib.AsyncExitStack()
            await stack.enter_async_context(mail_server)
            await mail_server.enter_async_context(
                _process(
                    "bench.smtp_sink",
                    {},
                    log_dir / "smtp.log",
                    None,
                    arguments=(str(smtp_port), str(log_dir / "smtp.json")),
                )
            )
            await _listening(smtp_port)
            port = free_port()
            env = _environment(
                platform,
                port,
                smtp_port,
                senders_in_service=in_service,
                batch=args.notification_batch,
                replicas=args.notification_replicas,
            )
            url = f"http://127.0.0.1:{port}"
            await stack.enter_async_context(
                _process("services.notifications", env, log_dir / "service.log", f"{url}/ready")
            )
            for n in range(0 if in_service else args.notification_workers):
                await stack.enter_async_context(
                    _process(
                        "services.notifications.workers",
                        env,
                        log_dir / f"worker-{n}.log",
                        None,
                        nice=args.notification_worker_nice,
                    )
                )
            service = await stack.enter_async_context(aiohttp.ClientSession(base_url=url))
            async with run_service(platform, intake) as intake_service:
                await platform.enrol_all(
                    [("coach", "coach-bench", "coach-bench"), ("admin", "admin-bench", "admin-bench")]
                )
                coach = platform.auth("coach", "coach-bench")
                participants: list[str] = []
                for i in range(people):
                    answer = await intake_service.client.post(
                        "/participants",
                        json={
                            "name": f"Deelnemer {i}",
                            "situation": "looking_for_work",
                            "email": f"deelnemer{i}@example.nl",
                            "consents": ["email_contact"],
                        },
                        headers=coach,
                    )
                    participants.append(answer.json()["id"])
                providers = [str(uuid.uuid4()) for _ in range(20)]
                await _enrol(
                    platform,
                    [(f"p-{p}", "participant", p) for p in participants]
                    + [(f"prov-{p}", "provider", p) for p in providers],
                )
                async with service.post(
                    "/webhooks/endpoints",
                    json={"url": hook_url, "event_types": [VoucherIssued.spec.key], "internal": True},
                    headers=platform.auth("admin", "admin-bench"),
                ) as made:
                    assert made.status == 201, await made.text()
                await _caseload_known(platform, people)
                # Serialised before the clock starts, as vouchers' outbox relay publishes the bytes its
                # transaction stored: the client's work in the measured window is publishing alone.
                envelopes = [
                    _event(uuid.UUID(participants[i % people]), uuid.UUID(providers[i % len(providers)]))
                    for i in range(events)
                ]
                outgoing = [(e.id, e.nats_subject, e.to_bytes(), {"Nats-Msg-Id": str(e.id)}) for e in envelopes]
                published: dict[uuid.UUID, datetime] = {}
                start = time.perf_counter()
                futures = []
                for event_id, subject, body, headers in outgoing:
                    published[event_id] = datetime.now(UTC)
                    futures.append(await platform.js.publish_async(subject, body, headers=headers))
                acks = await asyncio.gather(*futures)
                last_published = time.perf_counter()

                expected = {"feed": 3 * events, "emails": events, "webhooks": events}
                deadline = time.monotonic() + DONE_TIMEOUT_SECONDS
                events_done_at = await _events_handled(platform, max(a.seq for a in acks), deadline)
                progress: dict[str, Any] = {}
                while time.monotonic() < deadline:
                    progress = await _progress(platform)
                    if all(progress[k] >= v for k, v in expected.items()):
                        break
                    await asyncio.sleep(0.5)
                done_at = time.perf_counter()
                latencies = await _latencies(platform, published)
                failed = await _failed_attempts(platform)
            await mail_server.aclose()
        mail = json.loads((log_dir / "smtp.json").read_text())

    total = sum(expected.values())
    finished = sum(min(progress.get(k, 0), v) for k, v in expected.items())
    delivery_rate = finished / (done_at - start)
    event_rate = events / ((events_done_at or done_at) - start)
    tail = done_at - last_published
    every = latencies["feed"] + latencies["email"] + latencies["webhook"]
    report = Report(NAME, f"Notifications: {events:,} voucher.issued events → feed, email and webhooks")
    report.rows += [
        Row("raw publish_async → pull fetch(100)+ack", fmt_rate(raw.end_to_end_per_s), "baseline"),
        Row(
            "events handled (3 feed entries, 1 email and 1 webhook intent each)",
            fmt_rate(event_rate),
            f"{event_rate / raw.end_to_end_per_s:.1%} of raw",
            "PASS" if event_rate / raw.end_to_end_per_s >= TARGET_RATIO else "FAIL",
        ),
        Row("deliveries done (feed + email + webhook)", fmt_rate(delivery_rate), f"{finished:,} of {total:,}"),
        Row(
            "last delivery after the last event",
            f"{tail:.1f} s",
            f"target < {TARGET_TAIL_SECONDS:.0f} s",
            "PASS" if tail < TARGET_TAIL_SECONDS and finished == total else "FAIL",
        ),
        Row("event → delivered p50 / p99, all", f"{fmt_ms(percentile(every, 50))} / {fmt_ms(percentile(every, 99))}"),
    ]
    for kind in ("feed", "email", "webhook"):
        values = latencies[kind]
        report.rows.append(
            Row(
                f"event → delivered p50 / p99, {kind}",
                f"{fmt_ms(percentile(values, 50))} / {fmt_ms(percentile(values, 99))}",
                f"{len(values):,} done",
            )
        )
    report.notes += [
        f"{people} participants, 20 providers, one coach; emails {progress.get('sent', 0):,} sent"
        f" ({mail['received']:,} received by the SMTP server, {mail['message_ids']:,} distinct Message-IDs),"
        f" webhooks {progress.get('delivered', 0):,} delivered"
        f" ({hooks.requests:,} requests received, {len(hooks.ids):,} distinct webhook-ids)",
        f"the client published the {events:,} events at {fmt_rate(events / (last_published - start))}"
        " (the service cannot handle them faster than that)",
        "webhook attempts without a 2xx (each tried again with the same webhook-id): "
        + (", ".join(f"{n:,} × {what}" for what, n in failed.items()) or "none"),
        f"the notifications service runs as {args.notification_replicas} process(es) of its own, its senders "
        + ("inside it" if in_service else f"in {args.notification_workers} processes of their own")
        + ("" if in_service else f" (nice {args.notification_worker_nice})")
        + f"; consumer batches of {args.notification_batch}"
        + "; the SMTP server (bench.smtp_sink) runs as a process of its own"
        + "; the client, intake and the webhook receiver share this process",
    ]
    report.data.update(
        {
            "events": events,
            "senders": args.notification_senders,
            "workers": 0 if in_service else args.notification_workers,
            "consumer_batch": args.notification_batch,
            "replicas": args.notification_replicas,
            "worker_nice": args.notification_worker_nice,
            "emails_received": mail["received"],
            "email_message_ids": mail["message_ids"],
            "webhook_requests": hooks.requests,
            "webhook_ids": len(hooks.ids),
            "webhook_attempts_failed": failed,
            "raw_per_s": raw.end_to_end_per_s,
            "events_per_s": event_rate,
            "published_per_s": events / (last_published - start),
            "deliveries_per_s": delivery_rate,
            "tail_seconds": tail,
            "finished": finished,
            "expected": total,
            "p99_seconds": {k: percentile(v, 99) for k, v in latencies.items()},
        }
    )
    return report


def _event(participant: uuid.UUID, provider: uuid.UUID) -> EventEnvelope:
    issued = VoucherIssued(
        application_id=uuid.uuid4(),
        programme_id=uuid.uuid4(),
        category="zoek",
        participant_id=participant,
        voucher_id=uuid.uuid4(),
        course_id=uuid.uuid4(),
        provider_id=provider,
        amount_cents=150_000,
        redeem_by=datetime.now(UTC) + timedelta(days=365),
    )
    return EventEnvelope.wrap(issued, region="gld", subject=str(issued.voucher_id))
