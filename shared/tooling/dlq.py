"""``regionet dlq``: look at dead letters and replay them, on the deployment in ``--root``.

The embedded deployment's NATS administrator is taken from ``<root>/secrets.json``; an external
one from ``REGIONET_NATS_ADMIN_USER`` and ``REGIONET_NATS_ADMIN_PASSWORD``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import nats
import nats.errors
import typer
from nats.js import JetStreamContext
from rich.console import Console
from rich.table import Table

from shared.bus.dlq import ReplayError, list_dead_letters, replay
from shared.tooling.runtime import supervisor
from shared.tooling.runtime.credentials import load_secrets
from shared.tooling.runtime.embedded_nats import ADMIN_USER
from shared.tooling.runtime.errors import StartupError

app = typer.Typer(help="Inspect and replay messages that consumers gave up on.", no_args_is_help=True)
console = Console()
T = TypeVar("T")

RootOption = Annotated[
    Path, typer.Option("--root", envvar="REGIONET_ROOT", help="Folder of the deployment (endpoints.json).")
]
DEFAULT_ROOT = Path(".regionet")


def _admin_credentials(root: Path, mode: str) -> tuple[str, str]:
    if mode == "external":
        user, password = os.environ.get("REGIONET_NATS_ADMIN_USER"), os.environ.get("REGIONET_NATS_ADMIN_PASSWORD")
        if not user or not password:
            raise StartupError(
                "set REGIONET_NATS_ADMIN_USER and REGIONET_NATS_ADMIN_PASSWORD to reach the dead letters"
            )
        return user, password
    return ADMIN_USER, load_secrets(root).nats_admin_password


def _with_jetstream(root: Path, work: Callable[[JetStreamContext], Awaitable[T]]) -> T:
    endpoints = supervisor.Endpoints.load(root)
    user, password = _admin_credentials(root, endpoints.mode)

    async def run() -> T:
        try:
            nc = await nats.connect(
                endpoints.nats_url, user=user, password=password, connect_timeout=5, max_reconnect_attempts=0
            )
        except (nats.errors.Error, OSError) as exc:
            raise StartupError(f"cannot reach NATS at {endpoints.nats_url}: {exc}; is Regionet running?") from exc
        try:
            return await work(nc.jetstream())
        finally:
            await nc.close()

    return asyncio.run(run())


@app.command("list")
def list_command(
    root: RootOption = DEFAULT_ROOT,
    consumer: Annotated[str | None, typer.Option(help="Only this durable consumer's dead letters.")] = None,
) -> None:
    """Show every dead letter: where it came from, how often it was tried, and why it failed."""
    letters = _with_jetstream(root, lambda js: list_dead_letters(js, consumer=consumer))
    if not letters:
        console.print("No dead letters.")
        return
    table = Table(title=f"{len(letters)} dead letter(s)")
    for column in ("seq", "consumer", "subject", "event id", "attempts", "error"):
        table.add_column(column, overflow="fold")
    for d in letters:
        table.add_row(str(d.sequence), d.consumer, d.original_subject, d.event_id, str(d.attempts), d.error)
    console.print(table)


@app.command("replay")
def replay_command(
    sequences: Annotated[list[int], typer.Argument(help="Sequence numbers shown by 'regionet dlq list'.")],
    root: RootOption = DEFAULT_ROOT,
) -> None:
    """Publish dead letters again on their original subjects, then remove them from the dead-letter stream."""

    async def replay_all(js: JetStreamContext) -> list[str]:
        done = []
        for seq in sequences:
            try:
                letter = await replay(js, seq)
            except ReplayError as exc:
                raise StartupError(str(exc)) from exc
            done.append(f"replayed {seq} ({letter.original_subject}) for {letter.consumer}")
        return done

    for line in _with_jetstream(root, replay_all):
        console.print(line)
