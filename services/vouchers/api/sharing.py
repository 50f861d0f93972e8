"""Sharing a programme's results with other regions."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from services.vouchers.access import Officer
from services.vouchers.clock import Now
from services.vouchers.handlers import sharing
from shared.service import UnitOfWorkDep

router = APIRouter(tags=["sharing"])


@router.post("/programmes/{programme_id}/outcomes")
async def share_outcomes(programme_id: uuid.UUID, uow: UnitOfWorkDep, now: Now, principal: Officer) -> dict[str, Any]:
    """Share the programme's results so far with other regions (``programme.outcomes_reported`` on the SHARED
    stream): per category the money, and counts of applications, vouchers and redemptions; every count of one
    to four people is left out (null). Returns what was published."""
    report = await sharing.report_outcomes(uow, programme_id, now=now)
    published: dict[str, Any] = report.model_dump(mode="json")
    return published
