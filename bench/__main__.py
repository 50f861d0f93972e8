"""``python -m bench [NAME ...] [options]``: run benchmarks against real servers.

Servers come from ``tests.support.servers``: ``REGIONET_TEST_DATABASE_URL`` /
``REGIONET_TEST_NATS_URL`` when set, else a container when Docker answers, else the embedded
servers. Each benchmark prints a table and writes ``bench/results/<name>.json``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Sequence
from types import ModuleType

from bench.common import Report, bench_servers, configure_logging, run_loop

# name → module exposing ``add_arguments(parser)`` and ``async run(servers, args) -> Report``
BENCHMARKS: dict[str, str] = {
    "outbox": "bench.outbox_pipeline",
    "intake": "bench.intake_registrations",
    "rush": "bench.opening_rush",
    "nats-sync": "bench.nats_sync",
    "matching": "bench.matching_plan",
    "matching-http": "bench.matching_http",
    "notifications": "bench.notifications",
    "web-pages": "bench.web_pages",
}


def _modules() -> dict[str, ModuleType]:
    return {name: importlib.import_module(path) for name, path in BENCHMARKS.items()}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, start (or find) servers, run the chosen benchmarks."""
    modules = _modules()
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run benchmarks against real servers; see bench/README.md."
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all)"
    )
    parser.add_argument("--no-uvloop", action="store_true", help="use the default asyncio loop")
    for module in modules.values():
        module.add_arguments(parser)
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    configure_logging()
    names = args.names or list(BENCHMARKS)

    started = time.perf_counter()
    with bench_servers() as servers:
        print(f"servers: postgres from {servers.postgres_origin}, nats from {servers.nats_origin}")
        for name in names:

            async def one(name: str = name) -> Report:
                report: Report = await modules[name].run(servers, args)
                return report

            report, uvloop_used = run_loop(one, want_uvloop=not args.no_uvloop)
            report.notes.insert(0, f"event loop: {'uvloop' if uvloop_used else 'asyncio (default)'}")
            report.data["uvloop"] = uvloop_used
            report.print()
            print(f"  written to {report.write()}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
