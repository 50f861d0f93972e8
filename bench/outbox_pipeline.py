"""Outbox pipeline: events per second and latency from commit to the consumer's commit.

Measures, in one run against the same servers:

1. the raw rate: N messages of the pipeline's envelope size published with ``js.publish_async``
   (``Nats-Msg-Id`` set) onto a scratch stream while a durable pull consumer drains it with
   ``fetch(100)`` + ``msg.ack()`` in the same process; rate = N / (first publish → last ack).
   Also one-at-a-time ``await js.publish`` for reference;
2. the pipeline, saturated: K producer tasks commit ``ParticipantRegistered`` events through
   ``UnitOfWork`` into ``intake.outbox`` (10 and 1 events per transaction), one ``OutboxRelay``
   and one ``EventConsumer`` on ``notifications-intake`` running the real
   ``participants_registered``; rate = N / (first commit → last consumer commit), latency per
   event = consumer commit time − ``envelope.time`` (set at emit, just before the producer's commit);
3. the pipeline paced at a fixed rate (1,000 events/s by default) for a few seconds: latency.

Targets (information only, never asserted): saturated pipeline ≥ 25% of the raw rate; p99 under
100 ms at 1,000 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import importlib.metadata
import io
import itertools
import pstats
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field

import asyncpg
import nats
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from bench.common import RESULTS_DIR, CpuMeter, Report, Row, fmt_ms, fmt_rate, percentile
from services.notifications.subscribers import participants_registered
from shared.bus.consumer import BatchHandler, EventConsumer
from shared.bus.outbox import OutboxRelay, RelayConfig
from shared.bus.topology import DUPLICATE_WINDOW_SECONDS, MAX_ACK_PENDING, consumer_spec
from shared.db.migrations import migrate
from shared.db.pool import create_pool
from shared.db.uow import UnitOfWorkFactory
from shared.events.contracts.intake import ParticipantRegistered, Situation
from shared.events.envelope import Envelope
from tests.support.platform import Platform, open_platform, with_database
from tests.support.servers import Servers

NAME = "outbox"
TARGET_RATIO = 0.25
TARGET_P99_SECONDS = 0.100
RAW_STREAM = "BENCH_RAW"
RAW_SUBJECT = "bench.raw.event"
RAW_DURABLE = "bench-raw"
COACHES = [f"coach-{i:03d}" for i in range(100)]
WARMUP_EVENTS = 200
DRAIN_TIMEOUT_SECONDS = 60.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's options."""
    group = parser.add_argument_group("outbox")
    group.add_argument("--events", type=int, default=10_000, help="events per saturated pipeline run (10000)")
    group.add_argument("--raw-events", type=int, default=20_000, help="messages in the raw baseline (20000)")
    group.add_argument("--single-events", type=int, default=3_000, help="one-at-a-time js.publish messages (3000)")
    group.add_argument("--producers", type=int, default=8, help="producer tasks/connections (8)")
    group.add_argument(
        "--per-tx", default="10,1", help="events per producer transaction, comma-separated saturated runs (10,1)"
    )
    group.add_argument("--rate", type=float, default=1000.0, help="paced run's events per second (1000)")
    group.add_argument("--paced-seconds", type=float, default=10.0, help="paced run's length in seconds (10)")
    group.add_argument("--paced-per-tx", type=int, default=1, help="events per transaction in the paced run (1)")
    group.add_argument("--relay-batch", type=int, default=RelayConfig().batch_size, help="RelayConfig.batch_size")
    group.add_argument(
        "--backlog", type=int, default=10_000, help="events in the relay-alone / consumer-alone backlog runs (0: skip)"
    )
    group.add_argument(
        "--profile", action="store_true", help="cProfile the first saturated run; top functions printed and saved"
    )


# --------------------------------------------------------------------------------------------
# Raw NATS baseline


@dataclass
class RawResult:
    """The raw nats-py figures."""

    messages: int
    payload_bytes: int
    end_to_end_per_s: float
    publish_async_per_s: float
    single_publish_per_s: float
    single_messages: int


async def _fresh_scratch_stream(js: JetStreamContext) -> None:
    with contextlib.suppress(NotFoundError):
        await js.delete_stream(RAW_STREAM)
    # Same storage and duplicate window as the service streams (shared.bus.topology).
    await js.add_stream(
        StreamConfig(
            name=RAW_STREAM,
            subjects=[f"{RAW_SUBJECT}.>", RAW_SUBJECT],
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
        )
    )
    await js.add_consumer(
        RAW_STREAM,
        ConsumerConfig(
            durable_name=RAW_DURABLE,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            max_ack_pending=MAX_ACK_PENDING,
        ),
    )


async def raw_baseline(nats_url: str, messages: int, single_messages: int, payload_bytes: int) -> RawResult:
    """publish_async → pull fetch(100) + ack, concurrently in this process; then one-at-a-time publish."""
    pub_nc = await nats.connect(nats_url)
    sub_nc = await nats.connect(nats_url)
    try:
        pub_js, sub_js = pub_nc.jetstream(), sub_nc.jetstream()
        await _fresh_scratch_stream(pub_js)
        payload = b"x" * payload_bytes
        sub = await sub_js.pull_subscribe_bind(durable=RAW_DURABLE, stream=RAW_STREAM)

        async def consume() -> float:
            acked = 0
            while acked < messages:
                try:
                    msgs = await sub.fetch(100, timeout=1.0)
                # nats-py raises either its own TimeoutError or plain asyncio.TimeoutError (= TimeoutError)
                except (nats.errors.TimeoutError, TimeoutError):
                    continue
                for m in msgs:
                    await m.ack()
                acked += len(msgs)
            await sub_nc.flush()  # the acks have left the client
            return time.perf_counter()

        consumer = asyncio.create_task(consume())
        await asyncio.sleep(0.05)  # the consumer's first pull is waiting
        start = time.perf_counter()
        futures = [
            await pub_js.publish_async(RAW_SUBJECT, payload, headers={"Nats-Msg-Id": str(uuid.uuid4())})
            for _ in range(messages)
        ]
        await asyncio.gather(*futures)
        published = time.perf_counter()
        last_ack = await asyncio.wait_for(consumer, DRAIN_TIMEOUT_SECONDS)

        start_single = time.perf_counter()
        for _ in range(single_messages):
            await pub_js.publish(RAW_SUBJECT, payload, headers={"Nats-Msg-Id": str(uuid.uuid4())})
        single = time.perf_counter() - start_single
        with contextlib.suppress(NotFoundError):
            await pub_js.delete_stream(RAW_STREAM)
    finally:
        await sub_nc.close()
        await pub_nc.close()
    return RawResult(
        messages=messages,
        payload_bytes=payload_bytes,
        end_to_end_per_s=messages / (last_ack - start),
        publish_async_per_s=messages / (published - start),
        single_publish_per_s=single_messages / single,
        single_messages=single_messages,
    )


# --------------------------------------------------------------------------------------------
# The pipeline


def registered(i: int) -> ParticipantRegistered:
    """A participant event whose handler writes a notification (it has a coach)."""
    return ParticipantRegistered(
        participant_id=uuid.uuid4(), coach_id=COACHES[i % len(COACHES)], situation=Situation.LOOKING_FOR_WORK
    )


def envelope_size() -> int:
    """Bytes on the wire of one pipeline event."""
    data = registered(0)
    return len(Envelope.wrap(data, region="gld", subject=str(data.participant_id)).to_bytes())


class LatencyRecorder:
    """Commit→consumer-commit latency of each event, stamped by the consumer's ``on_committed`` hook.

    The hook runs right after the consumer's COMMIT returned, so the figure covers outbox, relay,
    JetStream, fetch, handler and commit; ``envelope.time`` is set at emit, just before the
    producer's own commit, with the same clock (this process).
    """

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.stamps: list[float] = []  # perf_counter of each latency's consumer commit
        self.last_commit = 0.0  # perf_counter of the newest consumer commit
        self.target = 0
        self.done = asyncio.Event()

    def expect(self, count: int) -> None:
        """Start over and set ``done`` once ``count`` events were committed by the consumer."""
        self.latencies = []
        self.stamps = []
        self.target = count
        self.done.clear()

    def committed(self, envelopes: Sequence[Envelope]) -> None:
        """The consumer's transaction committed: these events have arrived."""
        now = time.time()
        self.last_commit = time.perf_counter()
        self.latencies.extend(now - e.time.timestamp() for e in envelopes)
        self.stamps.extend(self.last_commit for _ in envelopes)
        if self.target and len(self.latencies) >= self.target:
            self.done.set()


@dataclass
class PipelineRun:
    """Figures of one pipeline run."""

    label: str
    events: int
    per_tx: int
    producers: int
    seconds: float
    events_per_s: float
    p50: float
    p99: float
    max: float
    producer_commit_per_s: float  # how fast producers got their commits done
    process_cpu: float
    machine_cpu: float
    p99_per_second: list[float] = field(default_factory=list)  # of each whole second of the run
    paced_rate: float | None = None
    late_transactions: int = 0


class Pipeline:
    """Intake's outbox relay and notifications' consumer, running against one fresh platform."""

    def __init__(self, platform: Platform, *, producers: int, relay_batch: int) -> None:
        self.platform = platform
        self.producers = producers
        self.relay_batch = relay_batch
        self.recorder = LatencyRecorder()
        self._running: dict[str, tuple[asyncio.Event, asyncio.Task[None]]] = {}
        self._counter = itertools.count()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Pipeline]:
        """Pools, migrations, relay and consumer up; everything stopped and closed on exit."""
        p = self.platform
        self.intake_pool = await create_pool(p.dsn("intake"), min_size=self.producers + 1, max_size=self.producers + 1)
        self.notifications_pool = await create_pool(p.dsn("notifications"), min_size=1, max_size=2)
        relay_nc: NatsClient | None = None
        consumer_nc: NatsClient | None = None
        try:
            async with self.intake_pool.acquire() as conn:
                await migrate(conn, "intake")
            async with self.notifications_pool.acquire() as conn:
                await migrate(conn, "notifications")
            # Separate connections, as the two services would have.
            relay_nc = await nats.connect(p.servers.nats_url)
            consumer_nc = await nats.connect(p.servers.nats_url)
            self.uows = UnitOfWorkFactory(self.intake_pool, schema="intake", region=p.region)
            self.relay = OutboxRelay(
                relay_nc.jetstream(),
                schema="intake",
                dsn=p.dsn("intake"),
                config=RelayConfig(batch_size=self.relay_batch),
            )
            self.consumer = EventConsumer(
                pool=self.notifications_pool,
                js=consumer_nc.jetstream(),
                spec=consumer_spec("notifications-intake"),
                region=p.region,
                handlers={ParticipantRegistered.spec.key: BatchHandler(participants_registered)},
                on_committed=self.recorder.committed,
            )
            self.start("relay")
            self.start("consumer")
            await self._warm_up()
            yield self
        finally:
            for name in list(self._running):
                await self.stop(name)
            for nc in (relay_nc, consumer_nc):
                if nc is not None:
                    await nc.close()
            await self.notifications_pool.close()
            await self.intake_pool.close()

    def start(self, name: str) -> None:
        """Start the ``relay`` or the ``consumer``."""
        stop = asyncio.Event()
        component = self.relay if name == "relay" else self.consumer
        self._running[name] = (stop, asyncio.create_task(component.run(stop)))

    async def stop(self, name: str) -> None:
        """Stop the ``relay`` or the ``consumer`` and wait until it has."""
        stop, task = self._running.pop(name)
        stop.set()
        await asyncio.wait([task], timeout=10.0)
        task.cancel()

    async def backlog(self, events: int, per_tx: int) -> tuple[float, float]:
        """Capacity of each side alone: relay draining ``events`` committed rows, then the consumer
        draining them from the stream; events per second of each."""
        await self.stop("relay")
        await self.stop("consumer")
        for _ in range(events // per_tx):
            await self.commit(per_tx)
        events = events // per_tx * per_tx
        self.recorder.expect(events)
        start = time.perf_counter()
        self.start("relay")
        while await self.intake_pool.fetchval("SELECT count(*) FROM intake.outbox"):  # noqa: ASYNC110 - polls the db
            await asyncio.sleep(0.005)
        relay_rate = events / (time.perf_counter() - start)
        start = time.perf_counter()
        self.start("consumer")
        await self._drained()
        consumer_rate = events / (self.recorder.last_commit - start)
        return relay_rate, consumer_rate

    async def _warm_up(self) -> None:
        self.recorder.expect(WARMUP_EVENTS)
        await self.commit(WARMUP_EVENTS)
        await self._drained()

    async def _drained(self) -> None:
        """Wait until the consumer committed every expected event; say where they are stuck if not."""
        try:
            await asyncio.wait_for(self.recorder.done.wait(), DRAIN_TIMEOUT_SECONDS)
        except TimeoutError:
            spec = consumer_spec("notifications-intake")
            info = await self.platform.js.consumer_info(spec.stream, spec.durable)
            stream = await self.platform.js.stream_info(spec.stream)
            left = await self.intake_pool.fetchval("SELECT count(*) FROM intake.outbox")
            raise RuntimeError(
                f"stalled: {len(self.recorder.latencies)} of {self.recorder.target} events reached the consumer in"
                f" {DRAIN_TIMEOUT_SECONDS:.0f} s; outbox rows left {left}, stream messages {stream.state.messages},"
                f" consumer pending {info.num_pending}, ack pending {info.num_ack_pending},"
                f" redelivered {info.num_redelivered}, waiting pulls {info.num_waiting}"
            ) from None

    async def commit(self, count: int) -> None:
        """One producer transaction with ``count`` events."""
        async with self.uows() as uow:
            for _ in range(count):
                data = registered(next(self._counter))
                uow.emit(data, subject=str(data.participant_id))
            await uow.commit()

    async def saturated(self, events: int, per_tx: int) -> PipelineRun:
        """K producers commit ``events`` as fast as they can; wait until the consumer committed them all."""
        transactions = events // per_tx
        events = transactions * per_tx
        remaining = iter(range(transactions))

        async def producer() -> None:
            for _ in remaining:  # shared: a fast producer takes more transactions
                await self.commit(per_tx)

        self.recorder.expect(events)
        cpu = CpuMeter()
        cpu.start()
        start = time.perf_counter()
        await asyncio.gather(*(producer() for _ in range(self.producers)))
        produced = time.perf_counter()
        await self._drained()
        cpu.stop()
        seconds = self.recorder.last_commit - start
        return self._run(
            f"saturated, {per_tx} event(s)/tx",
            events,
            per_tx,
            seconds,
            events / (produced - start),
            cpu,
        )

    async def paced(self, rate: float, seconds: float, per_tx: int) -> PipelineRun:
        """Transactions started on a fixed schedule (``rate`` events/s); latency is what counts here."""
        transactions = max(1, int(rate * seconds / per_tx))
        interval = per_tx / rate
        in_flight = asyncio.Semaphore(self.producers)  # one transaction per pooled connection
        running: set[asyncio.Task[None]] = set()
        late = 0

        async def one() -> None:
            try:
                await self.commit(per_tx)
            finally:
                in_flight.release()

        self.recorder.expect(transactions * per_tx)
        cpu = CpuMeter()
        cpu.start()
        start = time.perf_counter()
        for i in range(transactions):
            delay = start + i * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.005:
                late += 1  # the schedule slipped by more than 5 ms (the loop or the pool was busy)
            await in_flight.acquire()
            task = asyncio.create_task(one())
            running.add(task)
            task.add_done_callback(running.discard)
        await asyncio.gather(*running)
        produced = time.perf_counter()
        await self._drained()
        cpu.stop()
        run = self._run(
            f"paced {rate:,.0f} ev/s, {per_tx} event(s)/tx",
            transactions * per_tx,
            per_tx,
            self.recorder.last_commit - start,
            transactions * per_tx / (produced - start),
            cpu,
        )
        run.paced_rate = rate
        run.late_transactions = late
        return run

    def _run(self, label: str, events: int, per_tx: int, seconds: float, produced: float, cpu: CpuMeter) -> PipelineRun:
        lat = self.recorder.latencies
        run = PipelineRun(
            label=label,
            events=events,
            per_tx=per_tx,
            producers=self.producers,
            seconds=seconds,
            events_per_s=events / seconds,
            p50=percentile(lat, 50),
            p99=percentile(lat, 99),
            max=max(lat) if lat else float("nan"),
            producer_commit_per_s=produced,
            process_cpu=cpu.process_share,
            machine_cpu=cpu.machine_share,
            p99_per_second=_per_second_p99(self.recorder.stamps, lat),
        )
        return run

    async def verify(self) -> dict[str, int]:
        """Rows the handler wrote, inbox rows, and outbox rows left (should be every event, every event, 0)."""
        for _ in range(50):  # the relay deletes after the PubAck, which may come after the consumer's commit
            left: int = await self.intake_pool.fetchval("SELECT count(*) FROM intake.outbox")
            if left == 0:
                break
            await asyncio.sleep(0.1)
        notifications: int = await self.notifications_pool.fetchval("SELECT count(*) FROM notifications.notifications")
        inbox: int = await self.notifications_pool.fetchval("SELECT count(*) FROM notifications.inbox")
        return {"notifications": notifications, "inbox": inbox, "outbox_left": left}


def _per_second_p99(stamps: list[float], latencies: list[float]) -> list[float]:
    """p99 latency of the events the consumer committed in each second of a run (spikes show here)."""
    if not stamps:
        return []
    first = stamps[0]
    buckets: dict[int, list[float]] = {}
    for stamp, latency in zip(stamps, latencies, strict=True):
        buckets.setdefault(int(stamp - first), []).append(latency)
    return [round(percentile(buckets.get(i, []), 99), 4) for i in range(max(buckets) + 1)]


async def pipeline_run(
    servers: Servers,
    args: argparse.Namespace,
    measure: Callable[[Pipeline], Awaitable[PipelineRun]],
) -> tuple[PipelineRun, dict[str, int]]:
    """One run on a fresh database and fresh streams."""
    async with open_platform(servers) as platform:
        pipeline = Pipeline(platform, producers=args.producers, relay_batch=args.relay_batch)
        async with pipeline.running():
            run = await measure(pipeline)
            counts = await pipeline.verify()
    expected = run.events + WARMUP_EVENTS
    if counts["notifications"] != expected or counts["inbox"] != expected:
        raise RuntimeError(f"{run.label}: expected {expected} notifications and inbox rows, found {counts}")
    return run, counts


async def server_versions(servers: Servers) -> dict[str, str]:
    """What the servers say they are."""
    conn = await asyncpg.connect(with_database(servers.admin_dsn, "postgres"))  # the admin URL's may not exist yet
    try:
        pg: str = await conn.fetchval("SELECT version()")
        settings = {
            name: await conn.fetchval(f"SHOW {name}") for name in ("fsync", "synchronous_commit", "shared_buffers")
        }
    finally:
        await conn.close()
    nc = await nats.connect(servers.nats_url)
    try:
        nats_version = str(nc.connected_server_version)
        jetstream = nc._server_info.get("jetstream", False)
    finally:
        await nc.close()
    return {
        "postgres_origin": servers.postgres_origin,
        "postgres": pg,
        "postgres_settings": ", ".join(f"{k}={v}" for k, v in settings.items()),
        "nats_origin": servers.nats_origin,
        "nats": f"nats-server {nats_version}",
        "nats_jetstream": str(bool(jetstream)),
        "nats_py": importlib.metadata.version("nats-py"),
        "asyncpg": asyncpg.__version__,
    }


def _profile_summary(profiler: cProfile.Profile, limit: int = 25) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(limit)
    return stream.getvalue()


async def run(servers: Servers, args: argparse.Namespace) -> Report:
    """The whole benchmark."""
    report = Report(NAME, "outbox → JetStream → inbox pipeline vs raw nats-py")
    versions = await server_versions(servers)
    payload = envelope_size()

    raw = await raw_baseline(servers.nats_url, args.raw_events, args.single_events, payload)
    report.rows += [
        Row(
            f"raw publish_async → pull fetch(100)+ack ({raw.messages:,} × {payload} B)", fmt_rate(raw.end_to_end_per_s)
        ),
        Row("  raw publish_async alone (PubAcks awaited)", fmt_rate(raw.publish_async_per_s)),
        Row(f"  raw await js.publish one at a time ({raw.single_messages:,})", fmt_rate(raw.single_publish_per_s)),
    ]

    runs: list[PipelineRun] = []
    profile_text = ""
    for i, per_tx in enumerate(int(x) for x in args.per_tx.split(",") if x.strip()):
        profiler = cProfile.Profile() if args.profile and i == 0 else None

        async def saturated(
            p: Pipeline, per_tx: int = per_tx, profiler: cProfile.Profile | None = profiler
        ) -> PipelineRun:
            if profiler is not None:
                profiler.enable()
            try:
                return await p.saturated(args.events, per_tx)
            finally:
                if profiler is not None:
                    profiler.disable()

        result, _ = await pipeline_run(servers, args, saturated)
        runs.append(result)
        ratio = result.events_per_s / raw.end_to_end_per_s
        report.rows += [
            Row(
                f"pipeline {result.label}, {result.producers} producers ({result.events:,})",
                fmt_rate(result.events_per_s),
                f"{ratio:.1%} of raw (target ≥ {TARGET_RATIO:.0%})",
                "PASS" if ratio >= TARGET_RATIO else "FAIL",
            ),
            Row("  p50 / p99 commit → consumer commit", f"{fmt_ms(result.p50)} / {fmt_ms(result.p99)}"),
            Row("  producers' own commit rate meanwhile", fmt_rate(result.producer_commit_per_s)),
        ]
        if profiler is not None:
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(RESULTS_DIR / f"{NAME}_profile.pstats")
            profile_text = _profile_summary(profiler)

    backlog: dict[str, float] = {}
    if args.backlog > 0:
        async with open_platform(servers) as platform:
            pipeline = Pipeline(platform, producers=args.producers, relay_batch=args.relay_batch)
            async with pipeline.running():
                relay_rate, consumer_rate = await pipeline.backlog(args.backlog, 10)
        backlog = {"events": args.backlog, "relay_per_s": relay_rate, "consumer_per_s": consumer_rate}
        report.rows += [
            Row(
                f"relay alone draining a {args.backlog:,}-event outbox backlog",
                fmt_rate(relay_rate),
                f"{relay_rate / raw.end_to_end_per_s:.1%} of raw",
            ),
            Row(
                f"consumer alone draining a {args.backlog:,}-event stream backlog",
                fmt_rate(consumer_rate),
                f"{consumer_rate / raw.end_to_end_per_s:.1%} of raw",
            ),
        ]

    async def paced(p: Pipeline) -> PipelineRun:
        return await p.paced(args.rate, args.paced_seconds, args.paced_per_tx)

    if args.paced_seconds > 0:
        result, _ = await pipeline_run(servers, args, paced)
        runs.append(result)
        report.rows += [
            Row(
                f"pipeline {result.label}, {result.seconds:.0f} s: achieved rate",
                fmt_rate(result.events_per_s),
                f"{result.events_per_s / raw.end_to_end_per_s:.1%} of raw",
            ),
            Row(
                "  p50 / p99 commit → consumer commit",
                f"{fmt_ms(result.p50)} / {fmt_ms(result.p99)}",
                f"p99 target < {fmt_ms(TARGET_P99_SECONDS)}",
                "PASS" if result.p99 < TARGET_P99_SECONDS else "FAIL",
            ),
            Row(
                "  p99 of each second: best / median / worst",
                " / ".join(fmt_ms(percentile(result.p99_per_second, q)) for q in (0, 50, 100)),
            ),
        ]

    report.notes.append(
        f"servers: Postgres {versions['postgres_origin']} ({versions['postgres'].split(' on ')[0]}; "
        f"{versions['postgres_settings']}), NATS {versions['nats_origin']} ({versions['nats']}); "
        f"nats-py {versions['nats_py']}, asyncpg {versions['asyncpg']}"
    )
    for r in runs:
        report.notes.append(
            f"{r.label}: process CPU {r.process_cpu:.0%} of a core, machine {r.machine_cpu:.0%} of all cores"
        )
    if profile_text:
        report.notes.append("cProfile of the first saturated run, top functions by own time:")
        report.notes += ["    " + line for line in profile_text.splitlines() if line.strip()]
    report.data.update(
        {
            "servers": versions,
            "options": vars(args),
            "targets": {"ratio_of_raw": TARGET_RATIO, "p99_seconds_at_1000_per_s": TARGET_P99_SECONDS},
            "raw": asdict(raw),
            "backlog": backlog,
            "pipeline": [asdict(r) | {"ratio_of_raw": r.events_per_s / raw.end_to_end_per_s} for r in runs],
        }
    )
    return report
