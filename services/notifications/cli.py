"""``regionet mail list|show``: read what the local mail sink of ``regionet up`` kept.

Under the embedded default every email notifications sends goes to a sink that keeps it in
``<root>/mail`` (a Maildir) instead of delivering it; these commands show that folder, so a
developer sees each message as its reader would, without any mail leaving the machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from shared.tooling.runtime.mail_sink import StoredMail, mail_dir, stored_mail

app = typer.Typer(
    name="mail", help="Read the emails the local mail sink kept (nothing leaves this machine).", no_args_is_help=True
)
console = Console()
errors = Console(stderr=True)

RootOption = Annotated[
    Path,
    typer.Option("--root", envvar="REGIONET_ROOT", help="The folder `regionet up` keeps its data in."),
]


def _header(mail: StoredMail, name: str) -> str:
    return str(mail.message.get(name, ""))


@app.command("list")
def list_mail(
    root: RootOption = Path(".regionet"),
    last: Annotated[int, typer.Option(min=1, help="Show only the newest N messages.")] = 50,
) -> None:
    """List the kept messages, oldest first: number, time (UTC), recipient and subject, one line each."""
    kept = stored_mail(mail_dir(root))
    if not kept:
        console.print(f"No mail in {mail_dir(root)}.")
        return
    for mail in kept[-last:]:
        received = mail.received.strftime("%Y-%m-%d %H:%M:%S")
        line = f"{mail.number:>4}  {received}  {_header(mail, 'To')}  {_header(mail, 'Subject')}"
        typer.echo(line)


@app.command()
def show(
    number: Annotated[int, typer.Argument(help="The message's number in `regionet mail list`.")],
    root: RootOption = Path(".regionet"),
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part instead of the plain text.")] = False,
) -> None:
    """Print one kept message: its headers and its plain-text (or HTML) part, as sent."""
    kept = stored_mail(mail_dir(root))
    found = [m for m in kept if m.number == number]
    if not found:
        errors.print(f"There is no message {number}; `regionet mail list` shows the numbers (1 to {len(kept)}).")
        raise typer.Exit(1)
    mail = found[0]
    for name in ("Date", "From", "To", "Subject", "Message-ID", "Content-Language"):
        typer.echo(f"{name}: {_header(mail, name)}")
    wanted = "text/html" if html else "text/plain"
    for part in mail.message.walk():
        if part.get_content_type() == wanted:
            payload = part.get_payload(decode=True)
            charset = part.get_content_charset() or "utf-8"
            typer.echo()
            typer.echo(payload.decode(charset, errors="replace") if isinstance(payload, bytes) else "")
            return
    errors.print(f"Message {number} has no {wanted} part.")
    raise typer.Exit(1)
