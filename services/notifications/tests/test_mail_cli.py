"""``regionet mail list|show`` reads what the local mail sink of ``regionet up`` kept."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from typer.testing import CliRunner

from services.notifications.cli import app as mail_app
from services.notifications.tests.samples import sample
from services.notifications.tests.test_email import mailing
from shared.tooling.runtime.mail_sink import MailSink, mail_dir
from tests.support.platform import Platform
from tests.support.ports import free_port


async def test_mail_list_and_show_read_the_sinks_folder_as_the_recipient_would(
    platform: Platform, tmp_path: Path
) -> None:
    root = tmp_path / "regionet"
    sink = MailSink(mail_dir(root), free_port())
    sink.start()
    try:
        async with mailing(platform, sink.folder, sink.port) as m:
            participant = await m.participant("p-lotte", email="lotte@example.nl", consents=True, language="en")
            await m.feeds.send(sample("vouchers.voucher.issued.v1", participant_id=uuid.UUID(participant)))
            await m.settled(1)
    finally:
        sink.stop()

    runner = CliRunner()
    listed = await asyncio.to_thread(runner.invoke, mail_app, ["list", "--root", str(root)])
    assert listed.exit_code == 0, listed.output
    assert "lotte@example.nl" in listed.output
    assert "Your training voucher has been issued" in listed.output

    shown = await asyncio.to_thread(runner.invoke, mail_app, ["show", "1", "--root", str(root)])
    assert shown.exit_code == 0, shown.output
    assert "Your training voucher of €1,500.00 has been issued" in shown.output
    assert "Message-ID: <" in shown.output

    html = await asyncio.to_thread(runner.invoke, mail_app, ["show", "1", "--html", "--root", str(root)])
    assert "<a href=" in html.output

    missing = await asyncio.to_thread(runner.invoke, mail_app, ["show", "2", "--root", str(root)])
    assert missing.exit_code == 1
    assert "There is no message 2" in missing.output


def test_mail_list_says_so_when_nothing_was_kept(tmp_path: Path) -> None:
    listed = CliRunner().invoke(mail_app, ["list", "--root", str(tmp_path)])
    assert listed.exit_code == 0
    assert "No mail in" in listed.output
