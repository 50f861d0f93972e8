"""An SMTP server that counts what it is sent, as a process of its own: ``python -m bench.smtp_sink PORT FILE``.

The notifications benchmark runs it so that the mail server does not share a process (and a
GIL) with the benchmark's client, intake and webhook receiver. On SIGINT or SIGTERM it writes
``{"received": <messages>, "message_ids": <distinct Message-IDs>}`` to FILE and exits.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Counting:
    """Accepts every message and counts it, and its Message-ID (nothing is kept)."""

    def __init__(self) -> None:
        self.received = 0
        self.ids: set[str] = set()
        self._headers = BytesHeaderParser()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """Accept the message."""
        self.received += len(envelope.rcpt_tos)
        content = envelope.original_content or b""
        self.ids.add(str(self._headers.parsebytes(content.split(b"\r\n\r\n", 1)[0])["Message-ID"]))
        return "250 OK"


def main() -> None:
    """Serve on 127.0.0.1:PORT until told to stop, then write the counts to FILE."""
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()

    async def wait() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()

    try:
        asyncio.run(wait())
    finally:
        controller.stop()
        out.write_text(json.dumps({"received": handler.received, "message_ids": len(handler.ids)}))


if __name__ == "__main__":
    main()
