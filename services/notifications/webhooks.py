"""Webhooks per the Standard Webhooks specification: signing, the retry schedule, safe targets, the sender.

Every request carries ``webhook-id`` (the delivery's id, the same on every attempt),
``webhook-timestamp`` and ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``
with each of the endpoint's current ``whsec_`` secrets, space-separated, so that during a
rotation a receiver holding either the old or the new secret can verify (signed with the
specification's own library, ``standardwebhooks``).

A delivery answered 2xx is done. Anything else is tried again on a schedule of about three
days (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then every 10 h, with ±10 % jitter), later when the
receiver says so with ``Retry-After``; 429, 502 and 504 also hold back everything else for that
endpoint for as long. 410 Gone disables the endpoint at once; an endpoint failing for five days
is disabled too, and either way its owner reads why in their feed. Redirects are not followed
(a 3xx is a failure), a request may take 15 s, and outside development a target that resolves
to a private, loopback, link-local or otherwise non-public address is refused (server-side
request forgery): checked when an endpoint subscribes, and at every connection by the resolver
the HTTP client connects through (:class:`PublicOnlyResolver`), so the address connected to is
the address checked and a name that resolves differently a moment later (DNS rebinding) gains
nothing.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import yarl
from aiohttp.abc import AbstractResolver, ResolveResult
from standardwebhooks import Webhook

from services.notifications import db, rendering
from services.notifications.domain import OWN_FEED, Category
from services.notifications.secrets import SecretBox, UnreadableSecret
from services.notifications.settings import NotificationSettings
from shared.auth import Role
from shared.db import Connection

log = logging.getLogger(__name__)

RETRY_SCHEDULE = tuple(
    timedelta(seconds=s) for s in (5, 300, 1800, 7200, 18000, 36000, 36000, 36000, 36000, 36000, 36000)
)
DISABLE_AFTER = timedelta(days=5)
REQUEST_TIMEOUT_SECONDS = 15.0
SLOW_DOWN = frozenset({429, 502, 504})
# A receiver may ask for a pause with Retry-After; longer than a day is taken as a day.
MAX_RETRY_AFTER = timedelta(days=1)
POLL_SECONDS = 1.0


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64 (the specification asks 24 to 64)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(keys: Sequence[str], msg_id: str, timestamp: datetime, body: str) -> str:
    """The ``webhook-signature`` header: one ``v1,…`` signature per current secret."""
    return " ".join(Webhook(key).sign(msg_id, timestamp, body) for key in keys)


def next_delay(attempts: int) -> timedelta | None:
    """The wait after the ``attempts``-th failed attempt, with jitter; None once the schedule is spent."""
    if attempts > len(RETRY_SCHEDULE):
        return None
    return RETRY_SCHEDULE[attempts - 1] * random.uniform(0.9, 1.1)


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as a wait, capped at a day; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    wait: timedelta | None
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            wait = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return max(timedelta(0), min(wait, MAX_RETRY_AFTER))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def refused_url(url: str, *, allow_private: bool) -> str | None:
    """Why a URL may not be called, as far as the URL alone says (no name is resolved), or None.

    Only http(s) URLs with a host; outside development only https, and no address literal that
    is not public. Names are checked where they are resolved: :func:`unsafe_target` when an
    endpoint subscribes, :class:`PublicOnlyResolver` at every connection.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        yarl.URL(url)
    except ValueError:
        return "the URL cannot be read"
    if parts.scheme not in ("http", "https") or not host:
        return "the URL must be http(s) with a host"
    if allow_private:
        return None
    if parts.scheme != "https":
        return "only https URLs may receive webhooks"
    try:
        literal = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    return (
        None if _is_public(str(literal)) else f"the address {host} is a private, loopback or other non-public address"
    )


async def unsafe_target(url: str, *, allow_private: bool) -> str | None:
    """Why a URL may not be called (a sentence), or None: :func:`refused_url`, and every address of its host public."""
    refused = refused_url(url, allow_private=allow_private)
    if refused is not None or allow_private:
        return refused
    parts = urlsplit(url)
    host = parts.hostname
    assert host is not None  # refused_url checked it
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        return f"the host {host} cannot be resolved"
    if not found or not all(_is_public(str(info[4][0])) for info in found):
        return f"the host {host} resolves to a private, loopback or other non-public address"
    return None


class NonPublicAddress(OSError):
    """A webhook target's name resolved to an address that is not public."""


class PublicOnlyResolver(AbstractResolver):
    """Resolves names for the webhook client and refuses any that has a non-public address.

    The HTTP client connects to the addresses this returns, so the address checked is the
    address connected to: a name that answers a public address to a check and a private one a
    moment later (DNS rebinding) cannot steer a request into the private network.
    """

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The host's addresses, all of them public; :class:`NonPublicAddress` otherwise."""
        found = await self._inner.resolve(host, port, family)
        if not found or not all(_is_public(r["host"]) for r in found):
            raise NonPublicAddress(f"{host} resolves to a private, loopback or other non-public address")
        return found

    async def close(self) -> None:
        """Release the inner resolver."""
        await self._inner.close()


@dataclass(frozen=True)
class Answer:
    """What one attempt got."""

    status_code: int | None
    error: str | None
    latency_ms: int
    retry_after: str | None = None


class WebhookSender:
    """Sends due webhook deliveries until stopped."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, settings: NotificationSettings, box: SecretBox) -> None:
        """``box`` reads the endpoints' stored secrets."""
        self._pool = pool
        self._box = box
        self._dsn = dsn
        self._settings = settings
        self._allow_private = settings.private_targets_allowed
        self._wake = asyncio.Event()

    def _client(self) -> aiohttp.ClientSession:
        """The HTTP client: at most ``webhook_concurrency`` connections, names resolved to public addresses only."""
        connector = aiohttp.TCPConnector(
            limit=self._settings.webhook_concurrency,
            resolver=None if self._allow_private else PublicOnlyResolver(),
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS),
            auto_decompress=False,
            skip_auto_headers=("User-Agent",),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Send in rounds until ``stop`` is set; a failed round is logged and tried again."""
        listener: asyncpg.Connection | None = None
        async with self._client() as client:
            try:
                while not stop.is_set():
                    try:
                        if listener is None or listener.is_closed():
                            listener = await asyncpg.connect(self._dsn)
                            await listener.add_listener(db.webhooks.WAKE_CHANNEL, lambda *_: self._wake.set())
                        claimed = await self.send_due(client)
                    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                        log.warning("webhook round failed; trying again", extra={"error": repr(exc)})
                        claimed = 0
                    if claimed < self._settings.webhook_batch_size:
                        self._wake.clear()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            finally:
                if listener is not None:
                    with contextlib.suppress(Exception):
                        await listener.close()

    async def send_due(self, client: aiohttp.ClientSession) -> int:
        """Claim one batch of due deliveries, send them concurrently and record the outcomes; how many."""
        async with self._pool.acquire() as conn:
            rows = await db.webhooks.claim_due(
                conn, limit=self._settings.webhook_batch_size, lease_seconds=REQUEST_TIMEOUT_SECONDS * 4
            )
        if not rows:
            return 0
        answers = await asyncio.gather(*(self._attempt(client, r) for r in rows))
        now = datetime.now(UTC)
        done: list[uuid.UUID] = []
        retries: list[tuple[uuid.UUID, datetime]] = []
        given_up: list[uuid.UUID] = []
        slow: dict[uuid.UUID, datetime] = {}
        disabled: dict[uuid.UUID, str] = {}
        for row, answer in zip(rows, answers, strict=True):
            code = answer.status_code
            if code is not None and 200 <= code < 300:
                done.append(row["id"])
                continue
            if code == 410:
                given_up.append(row["id"])
                disabled[row["endpoint_id"]] = "gone"
                continue
            wait = next_delay(row["attempts"])
            asked = retry_after(answer.retry_after, now)
            if asked is not None or code in SLOW_DOWN:
                pause = asked if asked is not None else (wait or RETRY_SCHEDULE[0])
                slow[row["endpoint_id"]] = max(slow.get(row["endpoint_id"], now), now + pause)
                wait = max(wait, pause) if wait is not None else None
            if wait is None:
                given_up.append(row["id"])
            else:
                retries.append((row["id"], now + wait))
            if row["failing_since"] is not None and now - row["failing_since"] > DISABLE_AFTER:
                disabled.setdefault(row["endpoint_id"], "failing")
        async with self._pool.acquire() as conn, conn.transaction():
            await db.webhooks.record_attempts(
                conn,
                [
                    (r["id"], r["endpoint_id"], a.status_code, a.error, a.latency_ms)
                    for r, a in zip(rows, answers, strict=True)
                ],
            )
            await db.webhooks.delivered(conn, done)
            await db.webhooks.retry_at(conn, retries)
            await db.webhooks.give_up(conn, given_up)
            for endpoint_id, until in slow.items():
                await db.webhooks.slow_down(conn, endpoint_id, until)
            for endpoint_id, why in disabled.items():
                await self._disable(conn, endpoint_id, why)
        return len(rows)

    async def _attempt(self, client: aiohttp.ClientSession, row: asyncpg.Record) -> Answer:
        refused = refused_url(row["url"], allow_private=self._allow_private)
        if refused is not None:
            return Answer(status_code=None, error=refused, latency_ms=0)
        try:
            keys = [self._box.open(stored) for stored in row["secrets"]]
        except UnreadableSecret:
            return Answer(
                status_code=None, error="the endpoint's secret cannot be decrypted with the keys set", latency_ms=0
            )
        timestamp = datetime.now(UTC)
        msg_id = str(row["id"])
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signature(keys, msg_id, timestamp, row["body"]),
            "user-agent": "Regionet-Webhooks/1",
        }
        started = time.monotonic()
        try:
            async with client.post(
                row["url"], data=row["body"].encode(), headers=headers, allow_redirects=False
            ) as response:
                return Answer(response.status, None, _ms(started), response.headers.get("retry-after"))
        except TimeoutError:
            return Answer(None, "no answer within 15 s", _ms(started))
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, NonPublicAddress):
                return Answer(None, str(exc.os_error), _ms(started))
            return Answer(None, f"could not be reached ({type(exc).__name__})", _ms(started))
        except (aiohttp.ClientError, ValueError) as exc:
            return Answer(None, f"could not be reached ({type(exc).__name__})", _ms(started))

    async def _disable(self, conn: Connection, endpoint_id: uuid.UUID, why: str) -> None:
        """Disable an endpoint and tell its owner, in their feed and language, why."""
        owner = await db.webhooks.disable(
            conn,
            endpoint_id,
            "the receiver answered 410 Gone" if why == "gone" else "every attempt failed for five days",
        )
        if owner is None:
            return
        endpoint = await db.webhooks.endpoint(conn, endpoint_id)
        assert endpoint is not None
        states = await db.recipients.account_states(conn, [owner])
        language = rendering.language_of(states.get(owner, (True, None))[1])
        said = rendering.notice(f"webhook_disabled_{why}", {"url": endpoint["url"]}, language)
        await db.feed.add_notifications(
            conn,
            [
                db.feed.NewNotification(
                    recipient=owner,
                    recipient_role=Role.ADMIN,
                    kind="webhook.disabled",
                    subject_id=str(endpoint_id),
                    event_id=uuid.uuid4(),
                    payload=json.dumps({"endpoint_id": str(endpoint_id)}),
                    message=said,
                    link=OWN_FEED,
                    category=Category.WEBHOOKS.value,
                )
            ],
        )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
