"""Webhook subscriptions for partner systems (administrators only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.notifications import db
from services.notifications.api.schemas import AttemptOut, EndpointCreated, EndpointOut, Replayed, SecretOut
from services.notifications.handlers import webhooks as handle
from services.notifications.handlers.commands import Replay, RotateSecret, Subscribe
from services.notifications.secrets import SecretBox
from services.notifications.settings import NotificationSettings
from shared.auth import Principal, Role, require_roles
from shared.errors import NotFound
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(prefix="/webhooks/endpoints", tags=["webhooks"])
Admin = Annotated[Principal, require_roles(Role.ADMIN)]


def _settings(runtime: RuntimeDep) -> NotificationSettings:
    settings: NotificationSettings = runtime.extensions["notification_settings"]
    return settings


def _box(runtime: RuntimeDep) -> SecretBox:
    box: SecretBox = runtime.extensions["secret_box"]
    return box


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EndpointCreated)
async def subscribe(body: Subscribe, admin: Admin, runtime: RuntimeDep, uow: UnitOfWorkDep) -> EndpointCreated:
    """Subscribe a URL to event types; the answer holds its signing secret, shown only now."""
    allow_private = _settings(runtime).private_targets_allowed
    row, secret = await handle.subscribe(uow, admin, body, allow_private=allow_private, box=_box(runtime))
    return EndpointCreated(**dict(row), secret=secret)


@router.get("", response_model=list[EndpointOut])
async def list_endpoints(admin: Admin, runtime: RuntimeDep) -> list[EndpointOut]:
    """Every endpoint, newest first."""
    async with runtime.pool.acquire() as conn:
        rows = await db.webhooks.endpoints(conn)
    return [EndpointOut(**dict(r)) for r in rows]


@router.get("/{endpoint_id}", response_model=EndpointOut)
async def get_endpoint(endpoint_id: uuid.UUID, admin: Admin, runtime: RuntimeDep) -> EndpointOut:
    """One endpoint."""
    async with runtime.pool.acquire() as conn:
        row = await db.webhooks.endpoint(conn, endpoint_id)
    if row is None:
        raise NotFound(f"there is no webhook endpoint {endpoint_id}")
    return EndpointOut(**dict(row))


@router.post("/{endpoint_id}/pause", response_model=EndpointOut)
async def pause(endpoint_id: uuid.UUID, admin: Admin, uow: UnitOfWorkDep) -> EndpointOut:
    """Stop sending to the endpoint; events keep being queued and go out on resume."""
    return EndpointOut(**dict(await handle.pause(uow, endpoint_id)))


@router.post("/{endpoint_id}/resume", response_model=EndpointOut)
async def resume(endpoint_id: uuid.UUID, admin: Admin, uow: UnitOfWorkDep) -> EndpointOut:
    """Send to a paused or disabled endpoint again."""
    return EndpointOut(**dict(await handle.resume(uow, endpoint_id)))


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(endpoint_id: uuid.UUID, admin: Admin, uow: UnitOfWorkDep) -> None:
    """Remove the endpoint, its queue and its log."""
    await handle.delete(uow, endpoint_id)


@router.post("/{endpoint_id}/secret", response_model=SecretOut)
async def rotate_secret(
    endpoint_id: uuid.UUID, body: RotateSecret, admin: Admin, runtime: RuntimeDep, uow: UnitOfWorkDep
) -> SecretOut:
    """A new signing secret; the old one keeps signing beside it for ``overlap_hours``."""
    return SecretOut(secret=await handle.rotate_secret(uow, endpoint_id, body, _box(runtime)))


@router.get("/{endpoint_id}/attempts", response_model=list[AttemptOut])
async def attempts(
    endpoint_id: uuid.UUID, admin: Admin, runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[AttemptOut]:
    """The endpoint's newest attempts: when, the answer's status or the error, and how long it took."""
    async with runtime.pool.acquire() as conn:
        if await db.webhooks.endpoint(conn, endpoint_id) is None:
            raise NotFound(f"there is no webhook endpoint {endpoint_id}")
        rows = await db.webhooks.attempts_of(conn, endpoint_id, limit=limit)
    return [AttemptOut(**dict(r)) for r in rows]


@router.post("/{endpoint_id}/replay", response_model=Replayed)
async def replay(endpoint_id: uuid.UUID, body: Replay, admin: Admin, uow: UnitOfWorkDep) -> Replayed:
    """Send one delivery, or every delivery since a time, again (with the same webhook-id)."""
    return Replayed(replayed=await handle.replay(uow, endpoint_id, body))
