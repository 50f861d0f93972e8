"""What callers send to the notifications service: webhook subscriptions, their upkeep, preferences."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, model_validator

from services.notifications.domain import Category, Channel


def _exists_in_utc(moment: datetime) -> datetime:
    """``moment`` when it has a UTC time (year 1 at +14:00 has none and cannot be stored)."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("this moment falls outside the years 1 to 9999 in UTC; send a real date") from None
    return moment


class Subscribe(BaseModel):
    """Subscribe a partner's URL to event types."""

    url: str = Field(min_length=1, max_length=2000, description="Where to POST each event (https outside development)")
    event_types: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=100, description="Catalogue keys, e.g. vouchers.programme.published.v1"
    )
    description: str = Field(default="", max_length=500)
    internal: bool = Field(
        default=False,
        description="The region's own system: may receive the region's own events, not only shared, anonymised ones",
    )


class RotateSecret(BaseModel):
    """Sign with a new secret; the old ones keep signing for the overlap."""

    overlap_hours: int = Field(default=24, ge=0, le=168)


class Replay(BaseModel):
    """Send one delivery again, or everything queued for the endpoint since a time (exactly one of the two)."""

    delivery_id: uuid.UUID | None = None
    since: Annotated[AwareDatetime, AfterValidator(_exists_in_utc)] | None = None

    @model_validator(mode="after")
    def _one_of_them(self) -> Replay:
        if (self.delivery_id is None) == (self.since is None):
            raise ValueError("send either delivery_id or since")
        return self


class QuietHours(BaseModel):
    """A daily span, in the region's local time, in which no email goes out (it may run past midnight)."""

    start: time = Field(description="e.g. 22:00")
    end: time = Field(description="e.g. 07:00")

    @model_validator(mode="after")
    def _a_real_span(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours must start and end at different times")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are local times in the region, without a time zone")
        return self


class SetPreferences(BaseModel):
    """What the caller wants to receive: opt-outs per channel and category, the daily digest, quiet hours."""

    opted_out: dict[Channel, list[Category]] = Field(
        default_factory=dict, description='Categories not wanted per channel, e.g. {"email": ["vouchers"]}'
    )
    email_digest: bool = Field(default=False, description="One email a day with everything, instead of one each")
    quiet_hours: QuietHours | None = None
