"""The senders in a process of their own: ``python -m services.notifications.workers``.

Rendering, composing and sending email and webhooks costs more CPU than handling the events
that cause them. In one process, the senders and the consumers share one event loop, and the
consumers (the part that must keep up with the event streams) wait behind the senders. With
``REGIONET_NOTIFICATIONS_SENDERS_IN_SERVICE=false`` the service only handles events and serves
its API, and this process, started as many times as wanted, does the sending: each copy claims
due deliveries with ``FOR UPDATE SKIP LOCKED`` and a lease, so copies never send the same
delivery twice. It reads the service's own settings (``REGIONET_NOTIFICATIONS_DATABASE_URL``,
``REGIONET_NATS_URL``, the SMTP settings …) and expects the service to have migrated the
schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from services.notifications.app import start_senders
from services.notifications.settings import NotificationSettings
from shared.db.pool import create_pool
from shared.logging import configure_logging
from shared.service import connect_nats
from shared.settings import ServiceSettings


async def run_workers(settings: ServiceSettings, mine: NotificationSettings, stop: asyncio.Event) -> None:
    """Send email and webhooks until ``stop`` is set."""
    pool = await create_pool(
        settings.database_url,
        min_size=1,
        max_size=settings.db_pool_max,
        connect_timeout=settings.db_connect_timeout,
        command_timeout=settings.db_command_timeout,
    )
    nc = await connect_nats(settings)
    try:
        tasks = start_senders(pool, settings.database_url, nc, settings.region, mine, stop)
        await asyncio.gather(*tasks)
    finally:
        with contextlib.suppress(Exception):
            await nc.drain()
        await pool.close()


def main() -> None:
    """Entry point: settings from the environment; SIGINT or SIGTERM stops it after the round in hand."""
    settings = ServiceSettings.load("notifications")
    configure_logging("notifications-workers", settings.log_level)
    mine = NotificationSettings(environment=settings.environment)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_workers(settings, mine, stop)

    try:
        import uvloop
    except ImportError:  # not on every platform (Windows); the default loop works, more slowly
        asyncio.run(serve())
    else:
        # The service runs on uvloop (through uvicorn); the senders' socket writes and reads cost
        # markedly less on it too.
        uvloop.run(serve())


if __name__ == "__main__":
    main()
