"""``regionet demo``: load the demo region into the deployment in ``--root``, with a progress bar."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shared.auth import issue_token
from shared.settings import DEV_JWT_ISSUER, JWT_AUDIENCE
from shared.tooling.demo.dataset import demo_region
from shared.tooling.demo.loader import DemoError, DemoLoader, request_count
from shared.tooling.runtime import supervisor
from shared.tooling.runtime.errors import StartupError

console = Console()


def demo(
    root: Annotated[
        Path, typer.Option("--root", envvar="REGIONET_ROOT", help="Folder of the running deployment.")
    ] = Path(".regionet"),
    participants: Annotated[int, typer.Option(min=1, max=100_000, help="How many participants.")] = 240,
    employers: Annotated[int, typer.Option(min=1, max=10_000, help="How many employers.")] = 30,
    applicants: Annotated[
        int, typer.Option(min=0, max=100_000, help="How many eligible participants apply for a voucher.")
    ] = 60,
) -> None:
    """Load a realistic demo region through the APIs.

    Coaches, participants, employers, providers and courses at intake; a first-come-first-served
    voucher programme with the four Gelderland categories, and applications from eligible
    participants, at vouchers.
    """
    endpoints = supervisor.Endpoints.load(root)
    secret = supervisor.jwt_secret(root, os.environ)
    data = demo_region(endpoints.region, participants=participants, employers=employers, applicants=applicants)

    def token_for(role: str, sub: str) -> str:
        return issue_token(
            secret, sub=sub, role=role, region=endpoints.region, issuer=DEV_JWT_ISSUER, audience=JWT_AUDIENCE
        )

    async def run(progress: Progress) -> dict[str, int]:
        task = progress.add_task("starting", total=request_count(data))

        def advance(step: str, done: int) -> None:
            progress.update(task, advance=done, description=step)

        clients = {name: httpx.AsyncClient(base_url=svc.url, timeout=30.0) for name, svc in endpoints.services.items()}
        try:
            summary = await DemoLoader(clients, token_for, advance).load(data)
        except DemoError as exc:
            raise StartupError(str(exc)) from exc
        except httpx.HTTPError as exc:
            raise StartupError(f"a service did not answer ({exc}); is Regionet running? try 'regionet status'") from exc
        finally:
            for client in clients.values():
                await client.aclose()
        return summary.counts

    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        counts = asyncio.run(run(progress))
    console.print(f"Loaded the demo region {endpoints.region}:")
    for kind, n in counts.items():
        console.print(f"  {kind:<14} {n:>6}")
