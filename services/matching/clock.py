"""The matching service's clock: real time, unless a test sets ``app.state.clock``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request


def utcnow() -> datetime:
    """The clock handlers use unless a test gives them another."""
    return datetime.now(UTC)


async def request_time(request: Request) -> datetime:
    """FastAPI dependency: the service's time for this request."""
    override: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return override() if override is not None else utcnow()


Now = Annotated[datetime, Depends(request_time)]
