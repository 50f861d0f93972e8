"""What the notifications API answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from services.notifications.handlers.commands import QuietHours


class NotificationOut(BaseModel):
    """One entry of the caller's feed: a sentence in the caller's language and the page it concerns."""

    id: uuid.UUID
    kind: str
    category: str
    message: str
    link: str | None
    subject_id: str
    payload: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class EndpointOut(BaseModel):
    """A webhook endpoint (its secrets are shown only when made)."""

    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    internal: bool
    status: str
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime


class EndpointCreated(EndpointOut):
    """A new endpoint and its signing secret: keep it, it is not shown again."""

    secret: str


class SecretOut(BaseModel):
    """A new signing secret: keep it, it is not shown again."""

    secret: str


class AttemptOut(BaseModel):
    """One attempt to deliver an event to an endpoint."""

    delivery_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    delivery_status: str
    attempted_at: datetime
    status_code: int | None
    error: str | None
    latency_ms: int


class Replayed(BaseModel):
    """How many deliveries will be sent again."""

    replayed: int


class AlwaysSent(BaseModel):
    """A message sent whatever the preferences say, and why."""

    event: str
    audience: str
    why: str


class PreferencesOut(BaseModel):
    """The caller's preferences, and the messages that are sent regardless."""

    opted_out: dict[str, list[str]]
    email_digest: bool
    quiet_hours: QuietHours | None
    digest_at: str
    always_sent: list[AlwaysSent]
