"""The caller's in-app feed."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.notifications import db
from services.notifications.api.schemas import NotificationOut
from services.notifications.handlers import feed as handle
from shared.auth import CurrentPrincipal
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(tags=["in-app feed"])


@router.get("/notifications", response_model=list[NotificationOut])
async def list_notifications(
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    unread: bool = False,
) -> list[NotificationOut]:
    """The caller's newest notifications, in the role of the caller's token."""
    async with runtime.pool.acquire() as conn:
        rows = await db.feed.newest(conn, principal.sub, principal.role, limit=limit, unread_only=unread)
    return [NotificationOut.model_validate(dict(r)) for r in rows]


@router.post("/notifications/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT)
async def read_notification(notification_id: uuid.UUID, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> None:
    """Mark one of the caller's notifications read."""
    await handle.mark_read(uow, principal, notification_id)
