"""Live feed updates across replicas: a wake-up over core NATS, the entries from Postgres.

When a transaction that wrote feed entries commits, the replica that wrote them publishes the
recipients (account and role, nothing else) on ``live.<region>.notifications.feed``, a core NATS
subject no stream stores. Every replica subscribes and wakes the event streams it serves for
those recipients; each stream then reads the entries after the last one it sent from Postgres.
So a client connected to any replica hears of entries written by any other, a lost wake-up
costs a delay (the stream checks again every ``recheck`` seconds), never an entry, and a client
that reconnects with ``Last-Event-ID`` gets what it missed.

The publisher is registered when the service starts (:func:`install`) and removed when it
stops: event handlers run on the consumer's unit of work, which has no other way to the NATS
connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterable, Iterator

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from shared.db.uow import UnitOfWork

Recipient = tuple[str, str]  # (account, role)


def feed_subject(region: str) -> str:
    """The core NATS subject of feed wake-ups in a region."""
    return f"live.{region}.notifications.feed"


class LiveFeeds:
    """This process's half of the fan-out: publishes wake-ups, and wakes its own streams on any replica's."""

    def __init__(self, nc: NatsClient, region: str) -> None:
        self._nc = nc
        self._subject = feed_subject(region)
        self._waiting: dict[Recipient, set[asyncio.Event]] = {}

    async def start(self) -> None:
        """Subscribe to every replica's wake-ups."""
        await self._nc.subscribe(self._subject, cb=self._woken)

    @property
    def connected(self) -> bool:
        """True while its NATS connection is up."""
        return bool(self._nc.is_connected)

    async def publish(self, recipients: Iterable[Recipient]) -> None:
        """Tell every replica that these recipients have new entries (call after the commit)."""
        payload = json.dumps(sorted(set(recipients))).encode()
        await self._nc.publish(self._subject, payload)

    async def _woken(self, msg: Msg) -> None:
        try:
            recipients = [tuple(r) for r in json.loads(msg.data)]
        except (ValueError, TypeError):
            return
        for recipient in recipients:
            for event in self._waiting.get((str(recipient[0]), str(recipient[1])), ()):
                event.set()

    @contextlib.contextmanager
    def waiting(self, recipient: Recipient) -> Iterator[asyncio.Event]:
        """An event set whenever ``recipient`` has new entries, while the block runs."""
        event = asyncio.Event()
        self._waiting.setdefault(recipient, set()).add(event)
        try:
            yield event
        finally:
            waiting = self._waiting.get(recipient, set())
            waiting.discard(event)
            if not waiting:
                self._waiting.pop(recipient, None)


# The publishers of this process, newest first: one per running service instance (a test may run
# several in one process; any connected one reaches every replica).
_publishers: list[LiveFeeds] = []


def install(feeds: LiveFeeds) -> None:
    """Make ``feeds`` a publisher of this process's wake-ups (at start)."""
    _publishers.insert(0, feeds)


def uninstall(feeds: LiveFeeds) -> None:
    """Stop publishing through ``feeds`` (its service is stopping)."""
    if feeds in _publishers:
        _publishers.remove(feeds)


def announce_after_commit(uow: UnitOfWork, recipients: Iterable[Recipient]) -> None:
    """Publish a wake-up for ``recipients`` once ``uow`` commits (nothing when live updates are not running)."""
    wanted = set(recipients)
    feeds = next((f for f in _publishers if f.connected), None)
    if feeds is None or not wanted:
        return

    async def publish() -> None:
        await feeds.publish(wanted)

    uow.after_commit(publish)
