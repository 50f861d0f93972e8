"""An account sets what it wants to receive."""

from __future__ import annotations

from services.notifications import db
from services.notifications.domain import Preferences
from services.notifications.handlers.commands import SetPreferences
from shared.auth import Principal
from shared.db.uow import UnitOfWork


async def set_preferences(uow: UnitOfWork, account: Principal, cmd: SetPreferences) -> Preferences:
    """Replace the caller's preferences; they hold for what is handled from now on."""
    return await db.preferences.save(
        uow.conn,
        account.sub,
        opted_out={channel.value: [c.value for c in categories] for channel, categories in cmd.opted_out.items()},
        email_digest=cmd.email_digest,
        quiet_from=cmd.quiet_hours.start if cmd.quiet_hours else None,
        quiet_until=cmd.quiet_hours.end if cmd.quiet_hours else None,
    )
