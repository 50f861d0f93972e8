"""``regionet import participants|employers FILE``: send a spreadsheet export to intake.

The file goes to ``POST /imports/<kind>`` in one request (the service imports it in one
transaction); the progress bar follows the upload. The answer's rejected rows are shown with
their line numbers and reasons; the exit code is 0 when every row was imported (now or
before), 1 when rows were rejected or the import was refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn
from rich.table import Table

app = typer.Typer(
    name="import",
    help="Import participants or employers from a CSV file (Dutch or English headers, semicolons or commas).",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)

CHUNK = 64 * 1024
DEFAULT_URL = "http://127.0.0.1:8001"

FileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV file exported from the spreadsheet.")
]
TokenOption = Annotated[
    str,
    typer.Option(
        "--token",
        envvar="REGIONET_TOKEN",
        help="An administrator's bearer token, e.g. from `regionet token --role admin --sub you`.",
    ),
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="REGIONET_INTAKE_URL",
        help="The intake service's URL; default: from .regionet/endpoints.json, else http://127.0.0.1:8001.",
    ),
]


def intake_url(root: Path = Path(".regionet")) -> str:
    """Where the locally started intake service listens (``regionet up`` records it)."""
    try:
        endpoints = json.loads((root / "endpoints.json").read_text(encoding="utf-8"))
        url: str = endpoints["services"]["intake"]["url"]
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_URL
    return url


def _chunks(content: bytes, progress: Progress, task: TaskID) -> Iterator[bytes]:
    for start in range(0, len(content), CHUNK):
        chunk = content[start : start + CHUNK]
        progress.advance(task, len(chunk))
        yield chunk


def send(kind: str, file: Path, *, token: str, url: str | None) -> int:
    """Upload ``file`` to the import endpoint of ``kind``; print the outcome; return the exit code."""
    content = file.read_bytes()
    endpoint = f"{(url or intake_url()).rstrip('/')}/imports/{kind}"
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(f"Sending {file.name}", total=len(content))
            response = httpx.post(
                endpoint,
                content=_chunks(content, progress, task),
                headers={"Authorization": f"Bearer {token}", "content-type": "text/csv"},
                timeout=httpx.Timeout(10.0, read=600.0),
            )
    except httpx.HTTPError as exc:
        errors.print(f"[red]Error:[/red] could not reach intake at {escape(endpoint)}: {escape(str(exc))}")
        return 1
    if response.status_code != 200:
        try:
            detail = str(response.json().get("detail"))
        except ValueError:
            detail = response.text
        errors.print(f"[red]The import was refused ({response.status_code}):[/red] {escape(detail)}")
        return 1
    answer = response.json()
    console.print(
        f"{answer['imported']} imported now, {len(answer['already_imported'])} imported before,"
        f" {len(answer['rejected'])} rejected."
    )
    if answer["ignored_columns"]:
        console.print(f"Columns not used: {escape(', '.join(answer['ignored_columns']))}")
    if not answer["rejected"]:
        return 0
    table = Table(title="Rejected rows: correct them and send the file again (imported rows are not repeated)")
    table.add_column("line", justify="right")
    table.add_column("reason", overflow="fold")
    for row in answer["rejected"]:
        table.add_row(str(row["line"]), escape(row["reason"]))
    console.print(table)
    return 1


@app.command()
def participants(file: FileArgument, token: TokenOption, url: UrlOption = None) -> None:
    """Import participants (naam, e-mail, telefoon, geboortedatum, postcode, situatie, doelgroepen, ...)."""
    raise typer.Exit(send("participants", file, token=token, url=url))


@app.command()
def employers(file: FileArgument, token: TokenOption, url: UrlOption = None) -> None:
    """Import employers (kvk-nummer, bedrijfsnaam, branche, aantal medewerkers, postcode, erkend leerbedrijf, ...)."""
    raise typer.Exit(send("employers", file, token=token, url=url))
