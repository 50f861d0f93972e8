"""Wiring of the notifications service."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from nats.aio.client import Client as NatsClient

from services.notifications import live
from services.notifications.alerts import DeadLetterWatch
from services.notifications.api import routers
from services.notifications.live import LiveFeeds
from services.notifications.secrets import SecretBox, reseal_all
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
        box = SecretBox(mine.secret_keys)
        runtime.extensions["secret_box"] = box
        resealed = await reseal_all(runtime.pool, box)
        if resealed:
            log.info("webhook secrets encrypted under the newest key", extra={"secrets": resealed})
        feeds = LiveFeeds(runtime.nc, runtime.settings.region)
        await feeds.start()
        live.install(feeds)
        runtime.extensions["live_feeds"] = feeds
        runtime.tasks.append(asyncio.create_task(_uninstall_on_stop(runtime, feeds), name="live-feeds"))
        watch = DeadLetterWatch(runtime.js, runtime.uow, runtime.settings.region, mine)
        runtime.tasks.append(asyncio.create_task(watch.run(runtime.stop), name="dead-letter-watch"))
        if mine.senders_in_service:
            runtime.tasks.extend(
                start_senders(
                    runtime.pool, runtime.settings.database_url, runtime.nc, runtime.settings.region, mine, runtime.stop
                )
            )

    return ServiceDefinition(
        name="notifications",
        title="Regionet notifications",
        description="Tells people what happened: the in-app feed, email and webhooks.",
        routers=routers,
        on_start=start,
    )


def start_senders(
    pool: asyncpg.Pool,
    dsn: str,
    nc: NatsClient,
    region: str,
    settings: NotificationSettings,
    stop: asyncio.Event,
) -> list[asyncio.Task[None]]:
    """The webhook sender and (with an SMTP server configured) the email sender, running until ``stop``."""
    webhooks = WebhookSender(pool, dsn, settings, SecretBox(settings.secret_keys))
    tasks = [asyncio.create_task(webhooks.run(stop), name="webhook-sender")]
    if settings.smtp_host is None:
        log.warning("no SMTP server configured (REGIONET_NOTIFICATIONS_SMTP_HOST): emails wait unsent")
    else:
        tasks.append(asyncio.create_task(EmailSender(pool, dsn, nc, region, settings).run(stop), name="email-sender"))
    return tasks


async def _uninstall_on_stop(runtime: Runtime, feeds: LiveFeeds) -> None:
    await runtime.stop.wait()
    live.uninstall(feeds)


definition = service_definition()
