"""Email end to end: intake's contact lookup, a real SMTP server in the test process, exactly once."""

from __future__ import annotations

import contextlib
import email.policy
import ipaddress
import json
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.intake.app import definition as intake
from services.notifications.app import service_definition
from services.notifications.settings import NotificationSettings
from services.notifications.tests.conftest import Feeds
from services.notifications.tests.samples import sample
from shared.tooling.runtime.mail_sink import MailSink, stored_mail
from tests.support.platform import Platform, RunningService, run_service
from tests.support.ports import free_port
from tests.support.waiting import eventually

DOMAIN = "mail.regionet.test"


@dataclass
class Mailing:
    """Intake and notifications running, and the mail server's folder."""

    feeds: Feeds
    intake: RunningService
    folder: Path

    async def participant(self, account: str, *, email: str | None, consents: bool, language: str = "nl") -> str:
        """Register a participant at intake and enrol their account here; their id."""
        body: dict[str, Any] = {"name": "Sanne de Vries", "situation": "looking_for_work"}
        if email:
            body["email"] = email
        if consents:
            body["consents"] = ["email_contact"]
        answer = await self.intake.client.post(
            "/participants", json=body, headers=await self.feeds.platform.login("coach", "coach-anna")
        )
        assert answer.status_code == 201, answer.text
        participant: str = answer.json()["id"]
        await self.feeds.enrol(account, "participant", participant, language=language)
        return participant

    def messages(self) -> list[EmailMessage]:
        """What the mail server received, oldest first."""
        parsed = []
        for stored in stored_mail(self.folder):
            raw = stored.message.as_bytes()
            parsed.append(email.message_from_bytes(raw, _class=EmailMessage, policy=email.policy.default))
        return parsed

    async def deliveries(self) -> list[dict[str, Any]]:
        """Every email delivery's row."""
        rows = await self.feeds.query("SELECT * FROM notifications.deliveries ORDER BY created_at")
        return [{**r, "payload": json.loads(r["payload"])} for r in rows]

    async def settled(self, count: int) -> list[dict[str, Any]]:
        """Wait until ``count`` deliveries exist and none is pending; their rows."""

        async def done() -> list[dict[str, Any]]:
            rows = await self.deliveries()
            return rows if len(rows) == count and all(r["status"] != "pending" for r in rows) else []

        return await eventually(done)


def mail_settings(port: int, **overrides: Any) -> NotificationSettings:
    """Notifications pointed at a local SMTP server without TLS (a test's own)."""
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "message_id_domain": DOMAIN,
        "mail_from": "Regionet Gelderland <noreply@regionet.test>",
        "web_url": "https://regionet.test",
    }
    values.update(overrides)
    return NotificationSettings(**values)


@contextlib.asynccontextmanager
async def mailing(platform: Platform, folder: Path, port: int, *, replicas: int = 1) -> AsyncIterator[Mailing]:
    """Intake plus ``replicas`` notifications services sending to the server on ``port``."""
    definition = service_definition(mail_settings(port))
    async with contextlib.AsyncExitStack() as stack:
        intake_service = await stack.enter_async_context(run_service(platform, intake))
        services = [await stack.enter_async_context(run_service(platform, definition)) for _ in range(replicas)]
        yield Mailing(Feeds(platform, services[0]), intake_service, folder)


async def test_an_issued_voucher_is_mailed_in_the_readers_language_with_both_parts_and_a_stable_message_id(
    platform: Platform, sink: MailSink
) -> None:
    async with mailing(platform, sink.folder, sink.port) as m:
        participant = await m.participant("p-jan", email="jan@example.nl", consents=True, language="de")
        await m.feeds.send(sample("vouchers.voucher.issued.v1", participant_id=uuid.UUID(participant)))
        (delivery,) = await m.settled(1)

    assert (delivery["status"], delivery["outcome"]) == ("sent", None)
    (mail,) = m.messages()
    assert mail["To"] == "jan@example.nl"
    assert mail["From"] == "Regionet Gelderland <noreply@regionet.test>"
    assert mail["Subject"] == "Ihr Bildungsgutschein wurde ausgestellt"
    assert mail["Message-ID"] == f"<{delivery['id']}@{DOMAIN}>"
    assert mail["Content-Language"] == "de"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None
    assert html is not None
    link = "https://regionet.test/me"
    assert "Ihr Bildungsgutschein über 1.500,00\xa0€ wurde ausgestellt" in text.get_content()
    assert link in text.get_content()
    assert f'href="{link}"' in html.get_content()
    assert await m.feeds.rows_mentioning("jan@example.nl", "deliveries") == 0


async def test_without_email_consent_or_an_address_nothing_is_mailed_and_the_delivery_says_why(
    platform: Platform, sink: MailSink
) -> None:
    async with mailing(platform, sink.folder, sink.port) as m:
        silent = await m.participant("p-silent", email="piet@example.nl", consents=False)
        no_address = await m.participant("p-none", email=None, consents=True)
        for participant in (silent, no_address):
            await m.feeds.send(sample("vouchers.voucher.expired.v1", participant_id=uuid.UUID(participant)))
        rows = await m.settled(2)
        assert len(await m.feeds.of("p-silent", "participant")) == 1  # the feed still tells them

    assert sorted((r["status"], r["outcome"]) for r in rows) == [
        ("skipped", "no address to write to: no_consent"),
        ("skipped", "no address to write to: no_email"),
    ]
    assert m.messages() == []


async def test_duplicate_events_and_two_replicas_send_each_message_once(platform: Platform, sink: MailSink) -> None:
    async with mailing(platform, sink.folder, sink.port, replicas=2) as m:
        people = [await m.participant(f"p-{n}", email=f"deelnemer{n}@example.nl", consents=True) for n in range(12)]
        for participant in people:
            event = await m.feeds.send(sample("vouchers.voucher.issued.v1", participant_id=uuid.UUID(participant)))
            await m.feeds.resend(event, msg_id=f"{event.id}-again")
        await m.feeds.handled()
        rows = await m.settled(12)

    assert {r["status"] for r in rows} == {"sent"}
    mails = m.messages()
    assert sorted(x["To"] for x in mails) == sorted(f"deelnemer{n}@example.nl" for n in range(12))
    assert len({x["Message-ID"] for x in mails}) == 12


class Refusing:
    """An SMTP handler that refuses one address for good and keeps nothing."""

    def __init__(self, refused: str) -> None:
        self.refused = refused
        self.accepted: list[str] = []

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.accepted.extend(envelope.rcpt_tos)
        return "250 OK"


async def test_a_permanent_refusal_fails_the_delivery_without_saying_the_address(platform: Platform) -> None:
    handler = Refusing("gone@example.nl")
    server = Controller(handler, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        async with mailing(platform, Path("/nonexistent"), server.port) as m:
            gone = await m.participant("p-gone", email="gone@example.nl", consents=True)
            here = await m.participant("p-here", email="here@example.nl", consents=True)
            for participant in (gone, here):
                await m.feeds.send(sample("vouchers.voucher.expired.v1", participant_id=uuid.UUID(participant)))
            rows = await m.settled(2)
    finally:
        server.stop()

    by_party = {r["party"]: (r["status"], r["outcome"]) for r in rows}
    assert by_party[gone] == ("failed", "refused by the mail server: 550")
    assert by_party[here] == ("sent", None)
    assert handler.accepted == ["here@example.nl"]


async def test_while_the_mail_server_is_down_deliveries_wait_and_go_out_once_it_is_back(
    platform: Platform, tmp_path: Path
) -> None:
    port = free_port()
    async with mailing(platform, tmp_path / "mail", port) as m:
        participant = await m.participant("p-wait", email="wacht@example.nl", consents=True)
        await m.feeds.send(sample("vouchers.voucher.expired.v1", participant_id=uuid.UUID(participant)))

        async def waiting() -> list[dict[str, Any]]:
            return [r for r in await m.deliveries() if r["attempts"] >= 1 and r["outcome"]]

        (row,) = await eventually(waiting)
        assert row["status"] == "pending"
        assert row["outcome"].startswith("the mail server was unavailable")
        assert row["next_attempt_at"] > row["created_at"]

        sink = MailSink(tmp_path / "mail", port)
        sink.start()
        try:
            # Rather than wait out the back-off: the delivery is due now.
            await m.feeds.query("UPDATE notifications.deliveries SET next_attempt_at = now()")
            (sent,) = await m.settled(1)
        finally:
            sink.stop()

    assert sent["status"] == "sent"
    assert [x["To"] for x in m.messages()] == ["wacht@example.nl"]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.regionet.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class Login:
    """Accepts one user name and password, and remembers who logged in."""

    def __init__(self) -> None:
        self.logged_in: list[str] = []

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"regionet", b"s3cret")
        if ok:
            self.logged_in.append(auth_data.login.decode())
        return AuthResult(success=ok)


# aiosmtpd warns that AUTH is required without STARTTLS; over implicit TLS that is what is wanted.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_mail_goes_over_tls_with_credentials(platform: Platform, tmp_path: Path, security: str) -> None:
    cert, key = self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    login = Login()
    received = Refusing("nobody")
    # aiosmtpd does not see that a connection over implicit TLS is encrypted, so it would not
    # offer AUTH there unless told that it may.
    tls_options: dict[str, Any] = (
        {"tls_context": tls, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": tls, "auth_require_tls": False}
    )
    server = Controller(
        received, hostname="127.0.0.1", port=free_port(), authenticator=login, auth_required=True, **tls_options
    )
    server.start()
    settings = mail_settings(
        server.port, smtp_security=security, smtp_username="regionet", smtp_password="s3cret", smtp_ca_file=str(cert)
    )
    try:
        async with contextlib.AsyncExitStack() as stack:
            intake_service = await stack.enter_async_context(run_service(platform, intake))
            service = await stack.enter_async_context(run_service(platform, service_definition(settings)))
            m = Mailing(Feeds(platform, service), intake_service, tmp_path)
            participant = await m.participant("p-tls", email="veilig@example.nl", consents=True)
            await m.feeds.send(sample("vouchers.voucher.expired.v1", participant_id=uuid.UUID(participant)))
            (row,) = await m.settled(1)
    finally:
        server.stop()

    assert (row["status"], row["outcome"]) == ("sent", None)
    assert login.logged_in == ["regionet"]
    assert received.accepted == ["veilig@example.nl"]
