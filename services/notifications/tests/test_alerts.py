"""Programme officers hear of dead letters waiting: a summary, once per change, never once per letter."""

from __future__ import annotations

import asyncio

from services.notifications.alerts import DeadLetterWatch
from services.notifications.settings import NotificationSettings
from services.notifications.tests.conftest import Feeds
from shared.bus.topology import dlq_subject


async def test_dead_letters_waiting_reach_every_programme_officer_as_one_summary_that_does_not_flood(
    feeds: Feeds,
) -> None:
    platform = feeds.platform
    runtime = feeds.service.app.state.runtime
    await feeds.enrol("officer-1", "programme_officer", language="en")
    await feeds.enrol("officer-2", "programme_officer")
    await feeds.enrol("coach-anna", "coach")

    async def dead_letters(consumer: str, service: str, count: int) -> None:
        for _ in range(count):
            await platform.js.publish(dlq_subject(platform.region, service, consumer), b"{}")

    def watch(repeat_hours: float) -> DeadLetterWatch:
        settings = NotificationSettings(dead_letter_alert_repeat_hours=repeat_hours)
        return DeadLetterWatch(runtime.js, runtime.uow, platform.region, settings)

    patient = watch(repeat_hours=1)
    assert await patient.check() is False  # nothing waits
    await dead_letters("notifications-vouchers", "notifications", 2)
    await dead_letters("matching-intake", "matching", 1)
    assert await patient.check() is True
    assert await patient.check() is False  # the same letters: no second alert
    await dead_letters("matching-intake", "matching", 1)
    assert await patient.check() is False  # more, but the last alert is less than an hour old

    # Two replicas checking at once when an alert is due: one of them alerts.
    await dead_letters("matching-intake", "matching", 1)
    eager = [watch(repeat_hours=0), watch(repeat_hours=0)]
    assert sorted(await asyncio.gather(*(w.check() for w in eager))) == [False, True]

    # Once the queue is empty, the next letter alerts at once.
    await platform.js.purge_stream("DLQ")
    assert await patient.check() is False
    await dead_letters("notifications-vouchers", "notifications", 1)
    assert await patient.check() is True

    english = [e["message"] for e in await feeds.of("officer-1", "programme_officer")]
    assert english == [
        "1 event could not be handled and waits in the dead-letter queue (notifications-vouchers: 1);"
        " regionet dlq list shows them, regionet dlq replay offers one again.",
        "5 events could not be handled and wait in the dead-letter queue (matching-intake: 3,"
        " notifications-vouchers: 2); regionet dlq list shows them, regionet dlq replay offers one again.",
        "3 events could not be handled and wait in the dead-letter queue (matching-intake: 1,"
        " notifications-vouchers: 2); regionet dlq list shows them, regionet dlq replay offers one again.",
    ]
    dutch = await feeds.of("officer-2", "programme_officer")
    assert len(dutch) == 3
    assert dutch[-1]["message"].startswith("3 gebeurtenissen konden niet worden verwerkt")
    assert {(e["category"], e["link"]) for e in dutch} == {("operations", "/officer")}
    assert await feeds.of("coach-anna") == []
