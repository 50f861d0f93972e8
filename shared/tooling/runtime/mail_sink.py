"""The local mail sink of the embedded default: an SMTP server that keeps every message, sends none.

``regionet up`` runs it beside the services and points notifications at it, so a laptop never
mails a real person by accident. Messages are kept as a Maildir under ``<root>/mail`` (one
file per message, readable by any mail tool), which ``regionet mail list|show`` reads. It
accepts any sender and recipient and asks for no credentials: it listens on 127.0.0.1 only.
"""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

from shared.tooling.runtime.processes import LOCALHOST

DEFAULT_SMTP_PORT = 12525


def mail_dir(root: Path) -> Path:
    """Where the sink of the deployment in ``root`` keeps its messages."""
    return root / "mail"


class MailSink:
    """An SMTP server on 127.0.0.1 writing every message it accepts to a Maildir (in its own thread)."""

    def __init__(self, folder: Path, port: int = DEFAULT_SMTP_PORT) -> None:
        for part in ("tmp", "new", "cur"):  # a Maildir's three folders
            (folder / part).mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._controller = Controller(Mailbox(folder), hostname=LOCALHOST, port=port)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._controller.port)

    def start(self) -> None:
        """Start listening."""
        self._controller.start()

    def stop(self) -> None:
        """Stop listening; the messages stay."""
        self._controller.stop()


@dataclass(frozen=True)
class StoredMail:
    """One message the sink kept, with its number in arrival order (1 is the oldest)."""

    number: int
    key: str
    received: datetime
    message: mailbox.MaildirMessage


def stored_mail(folder: Path) -> list[StoredMail]:
    """Every message in a sink's folder, oldest first."""
    if not folder.exists():
        return []
    box = mailbox.Maildir(folder, create=False)
    found = sorted(box.iteritems(), key=lambda item: (item[1].get_date(), item[0]))
    return [
        StoredMail(number, key, datetime.fromtimestamp(message.get_date(), UTC), message)
        for number, (key, message) in enumerate(found, start=1)
    ]
