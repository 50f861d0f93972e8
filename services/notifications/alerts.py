"""Programme officers hear when dead letters are waiting: one summary, not one message per letter.

Events a consumer gave up on wait in the ``DLQ`` stream until someone looks (``regionet dlq
list``, ``regionet dlq replay``). Every replica checks the stream's count, per consumer, once a
``dead_letter_check_seconds`` and, when an alert is due, emits the service's own event
``notifications.dead_letters.waiting`` (to its stream, through the outbox) and handles it at once:
the rule ``dead_letters_waiting`` (``domain.RULES``) tells every active programme officer in their
feed how many wait and for which consumers, and internal webhook endpoints may subscribe to it. It does not flood:
an alert goes out when letters arrive in an empty queue, and again only when more wait than at
the last alert and that alert is at least ``dead_letter_alert_repeat_hours`` old. The decision and
the feed entries are written in one transaction (``db.alerts.claim``), so of several replicas one
alerts, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import asyncpg
import nats.errors
from nats.js import JetStreamContext

from services.notifications import db
from services.notifications.settings import NotificationSettings
from services.notifications.subscribers import notify_and_queue
from shared.bus.dlq import DLQ_STREAM
from shared.db.uow import UnitOfWorkFactory
from shared.events.contracts.notifications import DeadLettersWaiting, WaitingLetters

log = logging.getLogger(__name__)

KIND = "dead_letters"


async def waiting_letters(js: JetStreamContext, region: str) -> dict[str, int]:
    """Dead letters waiting in the region, per consumer that gave up on them."""
    prefix = f"{region}.dlq."
    info = await js.stream_info(DLQ_STREAM, subjects_filter=f"{prefix}>")
    counts: dict[str, int] = {}
    for subject, count in (info.state.subjects or {}).items():
        # <region>.dlq.<service>.<durable>
        consumer = subject.removeprefix(prefix).split(".", 1)[-1]
        counts[consumer] = counts.get(consumer, 0) + count
    return counts


def summary(counts: dict[str, int]) -> DeadLettersWaiting:
    """What the alert says: how many wait, for which consumers."""
    return DeadLettersWaiting(
        waiting=sum(counts.values()),
        consumers=[WaitingLetters(consumer=c, waiting=n) for c, n in sorted(counts.items())],
    )


class DeadLetterWatch:
    """Checks the dead-letter stream and alerts programme officers when letters wait."""

    def __init__(
        self, js: JetStreamContext, uow: UnitOfWorkFactory, region: str, settings: NotificationSettings
    ) -> None:
        self._js = js
        self._uow = uow
        self._region = region
        self._repeat_after = timedelta(hours=settings.dead_letter_alert_repeat_hours)
        self._every = settings.dead_letter_check_seconds

    async def run(self, stop: asyncio.Event) -> None:
        """Check until ``stop`` is set; a failed check is logged and tried at the next."""
        while not stop.is_set():
            try:
                await self.check()
            except (nats.errors.Error, asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                log.warning("dead-letter check failed", extra={"error": repr(exc)})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._every)

    async def check(self) -> bool:
        """Alert if it is due; True when this check alerted."""
        counts = await waiting_letters(self._js, self._region)
        async with self._uow() as uow:
            due = await db.alerts.claim(uow.conn, KIND, sum(counts.values()), repeat_after=self._repeat_after)
            if due:
                event = uow.emit(summary(counts), subject=DLQ_STREAM)
                await notify_and_queue(uow, [event])
            await uow.commit()
        return due
