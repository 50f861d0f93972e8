"""The fault suite's parts: its own servers, the services as real processes, a mixed load and a checker.

The checker works in the manner of Jepsen's: the load records every request it sent and what
came back (2xx, a refusal, or nothing known: a timeout or a broken connection); afterwards
the databases and streams are read directly and compared with that history.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import asyncpg
import httpx
import nats.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from services.intake.vault import Vault
from services.vouchers.domain import GELDERLAND_CATEGORIES
from shared.auth import Role
from shared.bus.topology import declared_consumers
from shared.events.envelope import Envelope
from shared.tooling.runtime.embedded_nats import EmbeddedNats
from shared.tooling.runtime.embedded_postgres import EmbeddedPostgres
from tests.support.platform import Platform
from tests.support.ports import free_port
from tests.support.servers import Servers
from tests.support.service_process import ServiceProcess
from tests.support.waiting import eventually

# Short enough that a batch a killed or paused consumer held comes back within a test's time
# (deployments use 30 s); it also makes slow batches on a busy machine be delivered twice.
ACK_WAIT_SECONDS = 3.0
# The outbox lease (30 s) bounds how long a row claimed by a relay killed before publishing waits.
DELIVERY_DEADLINE_SECONDS = 50.0
REQUEST_TIMEOUT_SECONDS = 10.0
COACH = "coach-reliability"
CATEGORY = "werk_in_techniek"
VOUCHER_CENTS = 100_000


@dataclass
class OwnServers:
    """A Postgres and a NATS server of the suite's own, which the tests may kill and restart."""

    postgres: EmbeddedPostgres
    nats: EmbeddedNats
    servers: Servers

    def ensure_running(self) -> None:
        """Start whichever is down (a failed test may have left one stopped); same data, same ports."""
        self.postgres.start()
        self.nats.start()

    def freeze_postgres(self) -> list[int]:
        """SIGSTOP the postmaster, then every backend: connections stay open, nothing answers.

        Returns the stopped processes, for :meth:`thaw_postgres`.
        """
        running = self.postgres.running()
        assert running is not None
        os.kill(running.pid, signal.SIGSTOP)  # first: a stopped postmaster forks no new backend
        children = [int(c) for c in Path(f"/proc/{running.pid}/task/{running.pid}/children").read_text().split()]
        for pid in children:
            with contextlib.suppress(ProcessLookupError):  # a backend may exit meanwhile
                os.kill(pid, signal.SIGSTOP)
        return [running.pid, *children]

    def thaw_postgres(self, frozen: Sequence[int]) -> None:
        """SIGCONT what :meth:`freeze_postgres` stopped."""
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


@contextlib.contextmanager
def own_servers(root: Path) -> Iterator[OwnServers]:
    """Start a Postgres and a NATS server in ``root``; stop them afterwards."""
    postgres = EmbeddedPostgres(root / "postgres-root", port=free_port())
    dsn = postgres.start()
    try:
        nats_server = EmbeddedNats(root / "nats-root", port=free_port(), monitor_port=free_port(), with_users=False)
        url = nats_server.start()
        try:
            yield OwnServers(postgres, nats_server, Servers(dsn, url, "embedded", "embedded"))
        finally:
            nats_server.stop()
    finally:
        postgres.stop()


async def shorten_ack_wait(platform: Platform) -> None:
    """Declare every durable consumer again with the suite's short ack wait (the streams are still empty)."""
    for spec in declared_consumers():
        await platform.js.delete_consumer(spec.stream, spec.durable)
        await platform.js.add_consumer(
            spec.stream, dataclasses.replace(spec.config(platform.region), ack_wait=ACK_WAIT_SECONDS)
        )


@dataclass
class System:
    """Intake, vouchers and notifications as processes, a course, and per test a programme and applicants."""

    platform: Platform
    intake: list[ServiceProcess]
    vouchers: list[ServiceProcess]
    notifications: list[ServiceProcess]
    course_id: str = ""
    programme_id: str = ""
    applicants: list[str] = field(default_factory=list)
    names_sent: set[str] = field(default_factory=set)

    @property
    def processes(self) -> list[ServiceProcess]:
        """Every replica of every service."""
        return [*self.intake, *self.vouchers, *self.notifications]

    def auth(self, role: str, sub: str) -> dict[str, str]:
        """Headers with a token (its account enrolled when the system or the applicant was made)."""
        return self.platform.auth(role, sub)

    async def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Read the test's database as its administrator (every schema)."""
        conn = await asyncpg.connect(self.platform.admin_dsn)
        try:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows
        finally:
            await conn.close()

    async def ensure_ready(self) -> None:
        """Every replica ready; one a failed test left dead or paused is started or resumed first."""
        for process in self.processes:
            if not process.alive:
                await process.restart()
            process.signal(signal.SIGCONT)
        await asyncio.gather(*(p.wait_ready() for p in self.processes))

    async def new_programme(self, applicants: int) -> None:
        """A fresh programme with room for half of ``applicants`` new participants, all known to vouchers."""
        coach = self.auth("coach", COACH)
        semaphore = asyncio.Semaphore(8)
        async with httpx.AsyncClient(base_url=self.intake[0].url, timeout=REQUEST_TIMEOUT_SECONDS) as intake:

            async def register(n: int) -> str:
                async with semaphore:
                    body = {"name": f"Aanvrager {n}", "situation": "working_in_tech"}
                    answer = await intake.post("/participants", json=body, headers=coach)
                assert answer.status_code == 201, answer.text
                participant_id: str = answer.json()["id"]
                return participant_id

            self.applicants = list(await asyncio.gather(*(register(n) for n in range(applicants))))
        # Each applicant applies as themself: a participant account for the participant.
        await self.platform.enrol_all([(Role.PARTICIPANT, p, p) for p in self.applicants])

        now = datetime.now(UTC).replace(microsecond=0)
        budget = applicants // 2 * VOUCHER_CENTS  # the other half is waitlisted
        categories = [
            {
                "code": t.code,
                "name": t.name,
                "voucher_amount_cents": VOUCHER_CENTS,
                "budget_cents": budget if t.code == CATEGORY else 0,
                "eligible_situations": [s.value for s in t.eligible_situations],
            }
            for t in GELDERLAND_CATEGORIES
        ]
        programme = {
            "name": "Betrouwbaarheid",
            "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=30)).isoformat(),
            "redeem_by": (now + timedelta(days=365)).isoformat(),
            "budget_cents": budget,
            "categories": categories,
        }
        async with httpx.AsyncClient(base_url=self.vouchers[0].url, timeout=REQUEST_TIMEOUT_SECONDS) as vouchers:
            officer = self.auth("programme_officer", "officer")
            created = await vouchers.post("/programmes", json=programme, headers=officer)
            assert created.status_code == 201, created.text
            self.programme_id = created.json()["id"]

        async def vouchers_knows_everyone() -> bool:
            known = await self.query(
                "SELECT count(*) AS n FROM vouchers.participants WHERE id = ANY($1::uuid[])", self.applicants
            )
            return bool(known[0]["n"] == len(self.applicants))

        await eventually(vouchers_knows_everyone, timeout=DELIVERY_DEADLINE_SECONDS)


@contextlib.asynccontextmanager
async def running_system(
    platform: Platform, folder: Path, *, replicas: int = 1, nats_url: str | None = None
) -> AsyncIterator[System]:
    """Start the services (``replicas`` each of vouchers and notifications) and publish a course to apply for."""
    await shorten_ack_wait(platform)

    def replica_set(service: str, count: int) -> list[ServiceProcess]:
        return [
            ServiceProcess(platform, service, folder, label=f"{service}-{i + 1}", nats_url=nats_url)
            for i in range(count)
        ]

    system = System(
        platform, replica_set("intake", 1), replica_set("vouchers", replicas), replica_set("notifications", replicas)
    )
    try:
        await asyncio.gather(*(p.start() for p in system.processes))
        await platform.enrol_all(
            [
                (Role.ADMIN, "admin-reliability", "admin-reliability"),
                (Role.COACH, COACH, COACH),
                (Role.PROGRAMME_OFFICER, "officer", "officer"),
            ]
        )
        system.course_id = await _publish_course(system)

        async def vouchers_knows_the_course() -> bool:
            found = await system.query("SELECT 1 FROM vouchers.courses WHERE id = $1::uuid", system.course_id)
            return bool(found)

        await eventually(vouchers_knows_the_course, timeout=DELIVERY_DEADLINE_SECONDS)
        yield system
    finally:
        await asyncio.gather(*(p.stop() for p in system.processes))


async def _publish_course(system: System) -> str:
    admin = system.auth("admin", "admin-reliability")
    async with httpx.AsyncClient(base_url=system.intake[0].url, timeout=REQUEST_TIMEOUT_SECONDS) as intake:
        body = {"kvk_number": "12345678", "name": "Betrouwbaar Opleiden", "accredited": True}
        provider = await intake.post("/providers", json=body, headers=admin)
        assert provider.status_code == 201, provider.text
        course = await intake.post(
            f"/providers/{provider.json()['id']}/courses",
            json={"title": "PLC programmeren", "price_cents": 150_000, "duration_hours": 40},
            headers=admin,
        )
        assert course.status_code == 201, course.text
        course_id: str = course.json()["id"]
        return course_id


Outcome = Literal["ok", "refused", "unknown"]


@dataclass
class Attempt:
    """One request the load sent, and what it learnt."""

    kind: Literal["register", "apply"]
    key: str  # the registration's unique name, or the applicant's participant id
    during_fault: bool
    started: float
    seconds: float = 0.0
    outcome: Outcome = "unknown"
    status: int | None = None
    retry_after: str | None = None
    result_id: str | None = None
    replica: str | None = None  # the vouchers replica an application was sent to
    finished: bool = False
    error: str | None = None  # why no answer came


class Workload:
    """Registrations at intake and voucher applications at vouchers, from a few concurrent clients.

    Each application is for a participant of its own (the programme allows one per person),
    sent with an Idempotency-Key, so one whose answer was lost can be resent afterwards.
    """

    def __init__(self, system: System, *, clients: int = 4, pace_seconds: float = 0.1) -> None:
        self.system = system
        self.history: list[Attempt] = []
        self.fault_active = False
        self._clients = clients
        self._pace = pace_seconds
        self._applicants = list(system.applicants)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._names = itertools.count()
        self._http = httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS, limits=httpx.Limits(max_connections=50))
        self._vouchers = itertools.cycle(system.vouchers)
        self.skips_before: dict[str, int] = {}

    async def __aenter__(self) -> Workload:
        self.skips_before = await inbox_skips(self.system)
        self._tasks = [asyncio.create_task(self._client(n)) for n in range(self._clients)]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        await self._http.aclose()

    def ok(self, kind: str, *, after: float = 0.0) -> int:
        """How many requests of ``kind`` started after ``after`` got a 2xx."""
        return sum(1 for a in self.history if a.kind == kind and a.outcome == "ok" and a.started >= after)

    async def until_ok(self, count: int, *, after: float = 0.0, timeout: float = 45.0) -> None:
        """Wait until ``count`` registrations and ``count`` applications started after ``after`` succeeded.

        Applications stop once every applicant has applied; then registrations alone count.
        """

        async def enough() -> bool:
            applications = self.ok("apply", after=after) >= count or not self._applicants
            return applications and self.ok("register", after=after) >= count

        await eventually(enough, timeout=timeout, interval=0.1)

    async def until_answered_during_fault(self, count: int, *, timeout: float = 30.0) -> None:
        """Wait until ``count`` requests sent during the fault have their outcome (an answer, or none in time)."""

        async def enough() -> bool:
            return sum(a.during_fault and a.finished for a in self.history) >= count

        await eventually(enough, timeout=timeout, interval=0.05)

    async def _client(self, n: int) -> None:
        while not self._stop.is_set():
            if n % 2 and self._applicants:
                await self._apply(self._applicants.pop())
            else:
                await self._register()
            # Pacing, so a refused connection during an outage does not become a busy loop.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._pace)

    async def _register(self) -> None:
        name = f"Belasting {next(self._names)} {uuid.uuid4().hex[:8]}"
        self.system.names_sent.add(name)
        attempt = Attempt("register", name, self.fault_active, time.monotonic())
        self.history.append(attempt)
        await self._send(
            attempt,
            "POST",
            f"{self.system.intake[0].url}/participants",
            json={"name": name, "situation": "working_in_tech"},
            headers=self.system.auth("coach", COACH),
        )

    async def _apply(self, participant: str) -> None:
        replica = next(self._vouchers)
        attempt = Attempt("apply", participant, self.fault_active, time.monotonic(), replica=replica.url)
        self.history.append(attempt)
        url, options = application_request(self.system, participant, replica)
        await self._send(attempt, "POST", url, **options)
        if attempt.outcome == "refused" and attempt.status is None:
            self._applicants.append(participant)  # never reached the service: apply again later

    async def _send(self, attempt: Attempt, method: str, url: str, **kwargs: Any) -> None:
        try:
            answer = await self._http.request(method, url, **kwargs)
        except httpx.ConnectError:
            attempt.outcome = "refused"  # never sent: no effect
        except httpx.HTTPError as exc:
            attempt.outcome, attempt.error = "unknown", type(exc).__name__
        else:
            attempt.status = answer.status_code
            attempt.retry_after = answer.headers.get("retry-after")
            if answer.is_success:
                attempt.outcome, attempt.result_id = "ok", answer.json()["id"]
            elif answer.status_code < 500:
                attempt.outcome = "refused"
            # A 5xx may come after the commit: its effect is unknown, like a lost answer's.
        attempt.seconds = time.monotonic() - attempt.started
        attempt.finished = True


# Requests of each kind that must succeed before a fault, and again after it.
BEFORE_FAULT = AFTER_FAULT = 10


async def under_load(system: System, fault: Callable[[Workload], Awaitable[None]]) -> Figures:
    """Run the load, strike with ``fault`` (which also heals), wait for recovery, then check everything.

    ``fault`` gets the load, so that it can keep an outage up until requests have met it.
    """
    async with Workload(system) as load:
        await load.until_ok(BEFORE_FAULT)
        load.fault_active = True
        try:
            await fault(load)
        finally:
            load.fault_active = False
        healed = time.monotonic()
        await load.until_ok(AFTER_FAULT, after=healed)
    return await check(system, load)


def application_request(system: System, participant: str, replica: ServiceProcess) -> tuple[str, dict[str, Any]]:
    """The URL and options of a participant's one application (the same each time: a resend)."""
    headers = system.auth("participant", participant) | {"Idempotency-Key": f"reliability-{participant}"}
    body = {"category": CATEGORY, "course_id": system.course_id}
    return f"{replica.url}/programmes/{system.programme_id}/applications", {"json": body, "headers": headers}


@dataclass
class Figures:
    """What one fault test observed."""

    requests: int = 0
    during_fault: int = 0
    during_fault_ok: int = 0
    during_fault_failed: int = 0
    during_fault_answers: dict[str, int] = field(default_factory=dict)
    slowest_answer_seconds: float = 0.0
    unknown_resolved: int = 0
    unknown_were_filed: int = 0
    participants: int = 0
    applications: int = 0
    lost: int = 0
    unexpected: int = 0
    duplicates_applied: int = 0
    duplicates_absorbed: int = 0

    def line(self, name: str) -> str:
        """One line for the test's output."""
        return f"{name}: " + ", ".join(f"{k}={v}" for k, v in dataclasses.asdict(self).items())


async def resolve_unknown_applications(system: System, history: Sequence[Attempt]) -> tuple[int, int]:
    """Resend every application whose answer was lost, with its key: the answer must be the first one's.

    Returns how many there were, and how many of them had been filed before (200: a resend).
    Afterwards each of them is known: filed once, or never.
    """
    unknown = [a for a in history if a.kind == "apply" and a.outcome == "unknown"]
    filed_before = 0
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS) as client:
        for attempt in unknown:
            url, options = application_request(system, attempt.key, system.vouchers[0])
            answer = await client.post(url, **options)
            assert answer.status_code in (200, 201), f"resend of {attempt.key}: {answer.status_code} {answer.text}"
            attempt.outcome, attempt.result_id = "ok", answer.json()["id"]
            filed_before += answer.status_code == 200
    return len(unknown), filed_before


async def check(system: System, workload: Workload) -> Figures:
    """Compare the history with what the databases and streams hold; fail on anything lost or doubled."""
    history = workload.history
    figures = Figures(
        requests=len(history),
        during_fault=sum(a.during_fault for a in history),
        during_fault_ok=sum(a.during_fault and a.outcome == "ok" for a in history),
        during_fault_failed=sum(a.during_fault and a.outcome != "ok" for a in history),
    )
    during = [a for a in history if a.during_fault]
    figures.during_fault_answers = dict(Counter(str(a.status or a.error or a.outcome) for a in during))
    figures.slowest_answer_seconds = round(max((a.seconds for a in during), default=0.0), 2)
    figures.unknown_resolved, figures.unknown_were_filed = await resolve_unknown_applications(system, history)

    # Every 2xx has its effect.
    registered = {a.result_id for a in history if a.kind == "register" and a.outcome == "ok"}
    applied = {a.result_id for a in history if a.kind == "apply" and a.outcome == "ok"}
    people = {str(r["id"]) for r in await system.query("SELECT id FROM intake.participants")}
    applications = await system.query(
        "SELECT id, participant_id, reserved, amount_cents FROM vouchers.applications WHERE programme_id = $1",
        uuid.UUID(system.programme_id),
    )
    assert registered - people == set(), "acknowledged registrations missing from intake"
    assert applied - {str(r["id"]) for r in applications} == set(), "acknowledged applications missing"
    # Names are sealed per person; the services' development key (from the tests' token secret) opens them.
    vault = Vault.from_settings(system.platform.settings("intake"))
    sealed_names = await system.query(
        "SELECT p.id, p.name_sealed, k.wrapped_key FROM intake.participants p"
        " JOIN intake.participant_keys k ON k.participant_id = p.id"
    )
    stored_names = {vault.unwrap(r["id"], r["wrapped_key"]).open("name", r["name_sealed"]) or "" for r in sealed_names}
    assert {n for n in stored_names if n.startswith("Belasting")} <= system.names_sent, "nobody registered them"
    per_person = Counter(str(r["participant_id"]) for r in applications)
    doubled_applications = {p: n for p, n in per_person.items() if n > 1}
    figures.participants, figures.applications = len(people), len(applications)

    # Every committed event reached every consumer exactly once in effect (all tests' events so far).
    every_application = {str(r["id"]) for r in await system.query("SELECT id FROM vouchers.applications")}

    async def delivered() -> dict[str, dict[str, set[str]]]:
        return await _deliveries(system, people, every_application)

    with contextlib.suppress(AssertionError):  # reported below, with every set
        await eventually(lambda: _nothing_lost(delivered), timeout=DELIVERY_DEADLINE_SECONDS, interval=0.5)
    seen = await delivered()
    lost = {where: sets["lost"] for where, sets in seen.items() if sets["lost"]}
    unexpected = {where: sets["unexpected"] for where, sets in seen.items() if sets["unexpected"]}
    doubled = {where: sets["doubled"] for where, sets in seen.items() if sets["doubled"]}
    figures.lost = sum(len(s) for s in lost.values())
    figures.unexpected = sum(len(s) for s in unexpected.values())
    figures.duplicates_applied = sum(len(s) for s in doubled.values()) + len(doubled_applications)
    assert lost == {}, f"lost: {lost}"
    assert unexpected == {}, f"unexpected: {unexpected}"
    assert doubled == {}, f"applied twice: {doubled}"
    assert doubled_applications == {}, f"people with more than one application: {doubled_applications}"

    await check_budgets(system, applications)
    await eventually(lambda: _all_ready(system), timeout=30.0, interval=0.2)
    after = await inbox_skips(system)
    figures.duplicates_absorbed = sum(
        # A restarted process counts from zero again.
        n - workload.skips_before.get(label, 0) if n >= workload.skips_before.get(label, 0) else n
        for label, n in after.items()
    )
    return figures


async def inbox_skips(system: System) -> dict[str, int]:
    """Per replica: deliveries its consumers' inboxes recognised as already handled."""
    return await metric_totals(system, "regionet_events_duplicate_total")


async def metric_totals(system: System, counter: str) -> dict[str, int]:
    """Per replica: a counter of its ``/metrics``, summed over labels."""
    totals: dict[str, int] = {}
    async with httpx.AsyncClient(timeout=5.0) as client:
        for process in system.processes:
            text = (await client.get(f"{process.url}/metrics")).text
            totals[process.label] = sum(
                int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines() if line.startswith(f"{counter}{{")
            )
    return totals


async def _nothing_lost(delivered: Any) -> bool:
    seen: dict[str, dict[str, set[str]]] = await delivered()
    return not any(sets["lost"] for sets in seen.values())


async def _deliveries(system: System, people: set[str], applications: set[str]) -> dict[str, dict[str, set[str]]]:
    """For each place an event must reach: what is lost, what is there that was never committed, what twice."""
    js = system.platform.js
    intake_events = Counter[str]()
    submitted = Counter[str]()
    for stream in ("INTAKE", "VOUCHERS"):
        for body in await stream_bodies(js, stream):
            envelope = Envelope.model_validate_json(body)
            if envelope.type == "participant.registered":
                intake_events[envelope.data["participant_id"]] += 1
            elif envelope.type == "application.submitted":
                submitted[envelope.data["application_id"]] += 1
    read_model = Counter(str(r["id"]) for r in await system.query("SELECT id FROM vouchers.participants"))
    feed = Counter(
        r["subject_id"]
        for r in await system.query(
            "SELECT subject_id FROM notifications.notifications WHERE kind = 'participant.registered'"
        )
    )

    def compare(expected: set[str], found: Counter[str]) -> dict[str, set[str]]:
        return {
            "lost": expected - set(found),
            "unexpected": set(found) - expected,
            "doubled": {k for k, n in found.items() if n > 1},
        }

    return {
        "INTAKE stream": compare(people, intake_events),
        "vouchers read model": compare(people, read_model),
        "notifications feed": compare(people, feed),
        "VOUCHERS stream": compare(applications, submitted),
    }


async def stream_bodies(js: JetStreamContext, stream: str) -> list[bytes]:
    """Every message body in a stream; read again while JetStream is briefly unavailable (a node rejoining)."""

    async def attempt() -> list[list[bytes]]:
        try:
            return [await _read_stream(js, stream)]
        except (nats.errors.Error, TimeoutError):
            return []

    [bodies] = await eventually(attempt, timeout=DELIVERY_DEADLINE_SECONDS, interval=0.5)
    return bodies


async def _read_stream(js: JetStreamContext, stream: str) -> list[bytes]:
    """Read in batches by a throw-away consumer (one request per message is slow)."""
    info = await js.stream_info(stream)
    total = info.state.messages
    if total == 0:
        return []
    config = ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=60.0)
    subjects = info.config.subjects or []
    assert len(subjects) == 1, subjects
    sub = await js.pull_subscribe(subjects[0], stream=stream, config=config)
    bodies: list[bytes] = []
    try:
        while len(bodies) < total:
            bodies += [m.data for m in await sub.fetch(min(1000, total - len(bodies)), timeout=10.0)]
    finally:
        await sub.unsubscribe()
    return bodies


async def check_budgets(system: System, applications: Sequence[asyncpg.Record]) -> None:
    """Per category: reserved + redeemed + available = budget; the ledger adds up to the balances."""
    programme = uuid.UUID(system.programme_id)
    rows = await system.query(
        "SELECT c.code, c.budget_cents, c.reserved_cents, c.redeemed_cents, c.available_cents,"
        " coalesce(sum(l.d_budget), 0) AS l_budget, coalesce(sum(l.d_reserved), 0) AS l_reserved,"
        " coalesce(sum(l.d_redeemed), 0) AS l_redeemed, coalesce(sum(l.d_available), 0) AS l_available,"
        " count(*) FILTER (WHERE l.kind = 'reserve') AS reservations"
        " FROM vouchers.categories c"
        " LEFT JOIN vouchers.ledger l ON l.programme_id = c.programme_id AND l.category = c.code"
        " WHERE c.programme_id = $1 GROUP BY c.code, c.budget_cents, c.reserved_cents, c.redeemed_cents,"
        " c.available_cents",
        programme,
    )
    reserved = [r for r in applications if r["reserved"]]
    for row in rows:
        assert row["reserved_cents"] + row["redeemed_cents"] + row["available_cents"] == row["budget_cents"], dict(row)
        assert (row["l_budget"], row["l_reserved"], row["l_redeemed"], row["l_available"]) == (
            row["budget_cents"],
            row["reserved_cents"],
            row["redeemed_cents"],
            row["available_cents"],
        ), dict(row)
        if row["code"] == CATEGORY:
            assert row["reservations"] == len(reserved), dict(row)
            assert row["reserved_cents"] == sum(r["amount_cents"] for r in reserved), dict(row)
    holdings = await system.query(
        "SELECT participant_id, count FROM vouchers.holdings WHERE programme_id = $1", programme
    )
    assert {str(r["participant_id"]): r["count"] for r in holdings} == Counter(
        str(r["participant_id"]) for r in applications
    ), "holdings disagree with the applications"


async def _all_ready(system: System) -> bool:
    async with httpx.AsyncClient(timeout=2.0) as client:
        for process in system.processes:
            try:
                if (await client.get(f"{process.url}/ready")).status_code != 200:
                    return False
            except httpx.TransportError:
                return False
    return True
