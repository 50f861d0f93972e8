"""HTTP routes of the notifications service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from services.notifications import db
from shared.auth import CurrentPrincipal
from shared.errors import NotFound
from shared.service import RuntimeDep

router = APIRouter(tags=["in-app feed"])


class NotificationOut(BaseModel):
    """One entry of the caller's feed."""

    id: uuid.UUID
    kind: str
    subject_id: str
    payload: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


@router.get("/notifications", response_model=list[NotificationOut])
async def list_notifications(
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    unread: bool = False,
) -> list[NotificationOut]:
    """The caller's newest notifications."""
    async with runtime.pool.acquire() as conn:
        rows = await db.feed(conn, principal.sub, limit=limit, unread_only=unread)
    return [NotificationOut.model_validate(dict(r)) for r in rows]


@router.post("/notifications/{notification_id}/read", status_code=status.HTTP_204_NO_CONTENT)
async def read_notification(notification_id: uuid.UUID, runtime: RuntimeDep, principal: CurrentPrincipal) -> None:
    """Mark one of the caller's notifications read."""
    async with runtime.pool.acquire() as conn:
        if not await db.mark_read(conn, principal.sub, notification_id):
            raise NotFound(f"you have no notification {notification_id}")
