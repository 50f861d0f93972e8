"""Wiring of the notifications service."""

from __future__ import annotations

import asyncio
import logging

from services.notifications import live
from services.notifications.api import routers
from services.notifications.live import LiveFeeds
from services.notifications.sender import EmailSender
from services.notifications.settings import NotificationSettings
from services.notifications.webhooks import WebhookSender
from shared.service import Runtime, ServiceDefinition

log = logging.getLogger(__name__)


def service_definition(settings: NotificationSettings | None = None) -> ServiceDefinition:
    """The service; ``settings`` None reads them from the environment when it starts (tests pass their own)."""

    async def start(runtime: Runtime) -> None:
        mine = settings or NotificationSettings(environment=runtime.settings.environment)
        runtime.extensions["notification_settings"] = mine
        feeds = LiveFeeds(runtime.nc, runtime.settings.region)
        await feeds.start()
        live.install(feeds)
        runtime.extensions["live_feeds"] = feeds
        runtime.tasks.append(asyncio.create_task(_uninstall_on_stop(runtime, feeds), name="live-feeds"))
        webhooks = WebhookSender(runtime.pool, runtime.settings.database_url, mine)
        runtime.tasks.append(asyncio.create_task(webhooks.run(runtime.stop), name="webhook-sender"))
        if mine.smtp_host is None:
            log.warning("no SMTP server configured (REGIONET_NOTIFICATIONS_SMTP_HOST): emails wait unsent")
            return
        sender = EmailSender(runtime.pool, runtime.settings.database_url, runtime.nc, runtime.settings.region, mine)
        runtime.tasks.append(asyncio.create_task(sender.run(runtime.stop), name="email-sender"))

    return ServiceDefinition(
        name="notifications",
        title="Regionet notifications",
        description="Tells people what happened: the in-app feed, email and webhooks.",
        routers=routers,
        on_start=start,
    )


async def _uninstall_on_stop(runtime: Runtime, feeds: LiveFeeds) -> None:
    await runtime.stop.wait()
    live.uninstall(feeds)


definition = service_definition()
