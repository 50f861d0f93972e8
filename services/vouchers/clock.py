"""The vouchers service's clock: real time, unless a test sets ``app.state.clock``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import State


def utcnow() -> datetime:
    """The clock handlers use unless a test gives them another."""
    return datetime.now(UTC)


def now_of(state: State) -> datetime:
    """The time as the app with this state sees it (tests replace ``app.state.clock``)."""
    override: Callable[[], datetime] | None = getattr(state, "clock", None)
    return override() if override is not None else utcnow()


async def request_time(request: Request) -> datetime:
    """FastAPI dependency: the service's time for this request."""
    return now_of(request.app.state)


Now = Annotated[datetime, Depends(request_time)]
