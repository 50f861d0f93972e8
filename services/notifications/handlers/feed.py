"""What a recipient does with their own feed."""

from __future__ import annotations

import uuid

from services.notifications import db
from shared.auth import Principal
from shared.db.uow import UnitOfWork
from shared.errors import NotFound


async def mark_read(uow: UnitOfWork, recipient: Principal, notification_id: uuid.UUID) -> None:
    """Mark one of the recipient's notifications read; someone else's (or another role's) is not found."""
    if not await db.feed.mark_read(uow.conn, recipient.sub, recipient.role, notification_id):
        raise NotFound(f"you have no notification {notification_id}")
