"""The email sender: works off the delivery intents the event handlers recorded.

Each round claims a batch of due email deliveries (``FOR UPDATE SKIP LOCKED`` and a lease, so
replicas share the work and never hold the same row), asks intake for each participant's
address at send time (one request for the batch), renders the message in the recipient's
language, sends the batch over a few SMTP connections kept open from batch to batch and
records each outcome: ``sent``; ``skipped`` when there is no address to write to (no consent,
no address, an erased participant, a deactivated account); ``failed`` when the server refused
for good or the attempts ran out; otherwise the delivery is due again after a back-off with
jitter. It wakes when intents are added (``LISTEN``) and polls as a
fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiosmtplib
import asyncpg
from nats.aio.client import Client as NatsClient
from prometheus_client import Counter

from services.notifications import db, mail, rendering
from services.notifications.contacts import Contact, ContactUnavailable, look_up
from services.notifications.domain import RULES_BY_NAME, Channel
from services.notifications.settings import NotificationSettings

log = logging.getLogger(__name__)

OUTCOMES = Counter(
    "regionet_notifications_deliveries_total", "Deliveries finished, by channel and status", ["channel", "status"]
)
POLL_SECONDS = 1.0
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_MAX_SECONDS = 3600.0
# A daily digest says at most this many things per email; a longer one goes out as numbered parts.
DIGEST_ITEMS_PER_EMAIL = 50
# Recipients whose whole digest one round claims, and at most how many items of each.
DIGEST_RECIPIENTS_PER_ROUND = 10
DIGEST_MAX_ITEMS = 5000

# What a delivery without a participant, or one intake does not know, gets.
UNKNOWN = Contact(email=None, reason="unknown_participant")

Finished = tuple[uuid.UUID, str, str | None]
Retry = tuple[uuid.UUID, datetime, str]


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt: doubling from 30 s up to an hour, with ±20 % jitter so
    that deliveries that failed together do not come back together."""
    seconds = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


class EmailSender:
    """Sends due email deliveries until stopped."""

    def __init__(
        self, pool: asyncpg.Pool, dsn: str, nc: NatsClient, region: str, settings: NotificationSettings
    ) -> None:
        """``dsn`` is for a connection of its own that listens for new intents."""
        self._pool = pool
        self._dsn = dsn
        self._nc = nc
        self._region = region
        self._settings = settings
        self._wake = asyncio.Event()
        # SMTP connections kept open from batch to batch, one per lane.
        self._connections: dict[int, aiosmtplib.SMTP] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Send in rounds until ``stop`` is set; a failed round is logged and tried again."""
        listener: asyncpg.Connection | None = None
        try:
            while not stop.is_set():
                try:
                    if listener is None or listener.is_closed():
                        listener = await asyncpg.connect(self._dsn)
                        await listener.add_listener(db.deliveries.WAKE_CHANNEL, lambda *_: self._wake.set())
                    claimed = await self.send_due()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("email round failed; trying again", extra={"error": repr(exc)})
                    claimed = 0
                if claimed < self._settings.email_batch_size:
                    await self._sleep(stop)
        finally:
            await self._close_connections()
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.close()

    async def _sleep(self, stop: asyncio.Event) -> None:
        self._wake.clear()
        stopping = asyncio.ensure_future(stop.wait())
        waking = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({stopping, waking}, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            waking.cancel()

    async def send_due(self) -> int:
        """Claim one batch of due email deliveries and send it; how many were claimed."""
        s = self._settings
        async with self._pool.acquire() as conn:
            rows = await db.deliveries.claim_due(
                conn, Channel.EMAIL.value, limit=s.email_batch_size, lease_seconds=s.email_lease_seconds
            )
            rows += await db.deliveries.claim_digests(
                conn,
                Channel.EMAIL.value,
                recipients=DIGEST_RECIPIENTS_PER_ROUND,
                max_items=DIGEST_MAX_ITEMS,
                lease_seconds=s.email_lease_seconds,
            )
            if not rows:
                return 0
            accounts = await db.recipients.account_states(conn, [r["recipient"] for r in rows])
        unavailable: str | None = None
        contacts: dict[str, Contact] = {}
        try:
            contacts = await look_up(
                self._nc,
                self._region,
                [r["party"] for r in rows if r["party"] is not None],
                timeout=s.contact_timeout_seconds,
            )
        except ContactUnavailable as exc:
            unavailable = str(exc)
        finished: list[Finished] = []
        retries: list[Retry] = []
        ready: list[tuple[asyncpg.Record, str, rendering.Language]] = []
        for row in rows:
            active, language = accounts.get(row["recipient"], (True, None))
            contact = contacts.get(row["party"] or "", UNKNOWN)
            if unavailable is not None and row["party"] is not None:
                self._again(row, unavailable, finished, retries)
            elif not active:
                finished.append((row["id"], "skipped", "the account is deactivated"))
            elif contact.email is None:
                finished.append((row["id"], "skipped", f"no address to write to: {contact.reason}"))
            elif row["rule"] not in RULES_BY_NAME:
                finished.append((row["id"], "failed", "its rule no longer exists"))
            else:
                ready.append((row, contact.email, rendering.language_of(language)))
        if ready:
            await self._send(_messages(ready), finished, retries)
        async with self._pool.acquire() as conn, conn.transaction():
            await db.deliveries.finish(conn, finished)
            await db.deliveries.retry_later(conn, retries)
        for _, status, _ in finished:
            OUTCOMES.labels(Channel.EMAIL.value, status).inc()
        return len(rows)

    def _again(self, row: asyncpg.Record, why: str, finished: list[Finished], retries: list[Retry]) -> None:
        """Another attempt later, or ``failed`` once the attempts ran out."""
        if row["attempts"] >= self._settings.email_max_attempts:
            finished.append((row["id"], "failed", f"gave up after {row['attempts']} attempts: {why}"))
        else:
            retries.append((row["id"], datetime.now(UTC) + backoff(row["attempts"]), why))

    async def _send(self, messages: Sequence[Outgoing], finished: list[Finished], retries: list[Retry]) -> None:
        """Send a batch over up to ``smtp_connections`` connections at once (each waits on the server in turn)."""
        lanes = max(1, min(self._settings.smtp_connections, len(messages)))
        await asyncio.gather(
            *(self._send_over_one(lane, messages[lane::lanes], finished, retries) for lane in range(lanes))
        )

    async def _send_over_one(
        self, lane: int, messages: Sequence[Outgoing], finished: list[Finished], retries: list[Retry]
    ) -> None:
        """Send over one kept-open connection; what its failure leaves unsent is tried again later.

        A connection kept from an earlier batch may have been closed by the server meanwhile:
        then the batch goes on over a new one, once.
        """
        done = 0
        reconnected = False
        while done < len(messages):
            reused = self._connections.get(lane) is not None
            try:
                smtp = await self._connection(lane)
                while done < len(messages):
                    self._sent_or_refused(messages[done], await self._deliver(smtp, messages[done]), finished, retries)
                    done += 1
            except (aiosmtplib.SMTPException, OSError) as exc:
                await self._drop(lane)
                if reused and not reconnected:
                    reconnected = True
                    continue
                log.warning(
                    "mail server unavailable; deliveries will be tried again", extra={"error": type(exc).__name__}
                )
                for message in messages[done:]:
                    for row in message.rows:
                        self._again(row, f"the mail server was unavailable ({type(exc).__name__})", finished, retries)
                return

    async def _connection(self, lane: int) -> aiosmtplib.SMTP:
        """The lane's open connection, opened now if it has none."""
        smtp = self._connections.get(lane)
        if smtp is None or not smtp.is_connected:
            smtp = mail.connection(self._settings)
            await smtp.connect()
            self._connections[lane] = smtp
        return smtp

    async def _drop(self, lane: int) -> None:
        smtp = self._connections.pop(lane, None)
        if smtp is not None:
            smtp.close()

    async def _close_connections(self) -> None:
        for lane in list(self._connections):
            smtp = self._connections.pop(lane)
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await smtp.quit()
            smtp.close()

    async def _deliver(self, smtp: aiosmtplib.SMTP, message: Outgoing) -> aiosmtplib.SMTPException | None:
        """Hand one message to the server: None when it accepted it, else its refusal (a lost connection raises)."""
        composed = mail.compose(message.id, message.to, self._render(message), message.language, self._settings)
        try:
            await smtp.sendmail(composed.sender, [composed.to], composed.data)
        except aiosmtplib.SMTPServerDisconnected:
            raise
        except aiosmtplib.SMTPException as exc:
            return exc
        return None

    def _sent_or_refused(
        self,
        message: Outgoing,
        refusal: aiosmtplib.SMTPException | None,
        finished: list[Finished],
        retries: list[Retry],
    ) -> None:
        for row in message.rows:
            if refusal is None:
                finished.append((row["id"], "sent", None))
            elif mail.is_permanent(refusal):
                finished.append((row["id"], "failed", f"refused by the mail server: {_code(refusal)}"))
            else:
                self._again(row, f"the mail server said {_code(refusal)}", finished, retries)

    def _render(self, message: Outgoing) -> rendering.Email:
        s = self._settings
        items = [(RULES_BY_NAME[row["rule"]], row["payload"]) for row in message.rows]
        if message.digest:
            return rendering.digest(items, message.language, web_url=s.web_url, region=self._region, part=message.part)
        ((rule, data),) = items
        return rendering.email(rule, data, message.language, web_url=s.web_url, region=self._region)


@dataclass(frozen=True)
class Outgoing:
    """One email: a delivery of its own, or a recipient's digest of several."""

    rows: tuple[asyncpg.Record, ...]
    to: str
    language: rendering.Language
    digest: bool
    # A digest's part: (this one, of how many, items in all of them).
    part: tuple[int, int, int] = (1, 1, 0)

    @property
    def id(self) -> uuid.UUID:
        """The delivery its Message-ID is derived from (a digest's first)."""
        first: uuid.UUID = min(row["id"] for row in self.rows)
        return first


def _messages(ready: Sequence[tuple[asyncpg.Record, str, rendering.Language]]) -> list[Outgoing]:
    """The emails to send: one per delivery, except that a recipient's digest deliveries go in one.

    A digest of more than :data:`DIGEST_ITEMS_PER_EMAIL` items goes out as numbered parts, oldest
    items first: nothing is left out, and each part's Message-ID comes from its own first delivery.
    """
    single = [Outgoing((row,), to, language, False) for row, to, language in ready if not row["digest"]]
    digests: dict[str, list[tuple[asyncpg.Record, str, rendering.Language]]] = {}
    for item in ready:
        if item[0]["digest"]:
            digests.setdefault(item[0]["recipient"], []).append(item)
    grouped: list[Outgoing] = []
    for items in digests.values():
        rows = sorted((row for row, _, _ in items), key=lambda r: (r["created_at"], r["id"]))
        chunks = [rows[i : i + DIGEST_ITEMS_PER_EMAIL] for i in range(0, len(rows), DIGEST_ITEMS_PER_EMAIL)]
        grouped += [
            Outgoing(tuple(chunk), items[0][1], items[0][2], True, (n, len(chunks), len(rows)))
            for n, chunk in enumerate(chunks, start=1)
        ]
    return single + grouped


def _code(error: aiosmtplib.SMTPException) -> str:
    """The server's reply code, never its text (which may echo the address)."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return ", ".join(str(e.code) for e in error.recipients)
    return str(getattr(error, "code", type(error).__name__))
