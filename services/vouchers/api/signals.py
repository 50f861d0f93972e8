"""Signals for programme officers: who applies through whom, and where the money concentrates."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from services.vouchers.access import Officer
from services.vouchers.api.programmes import programme_out
from services.vouchers.db.reports import signal_rows
from services.vouchers.domain import Grant, signals
from shared.service import RuntimeDep

router = APIRouter(tags=["budgets"])


@router.get("/programmes/{programme_id}/signals")
async def programme_signals(programme_id: uuid.UUID, runtime: RuntimeDep, principal: Officer) -> dict[str, Any]:
    """Employer-submitted share, MKB vs large, target groups and concentration on providers and courses."""
    async with runtime.pool.acquire() as conn:
        programme = await programme_out(conn, programme_id)
        rows = await signal_rows(conn, programme_id)
    grants = [
        Grant(
            category=r["category"],
            submitted_by=r["submitted_by_role"],
            employer_size=r["employer_size"],
            provider_id=str(r["provider_id"]),
            course_id=str(r["course_id"]),
            target_groups=list(r["target_groups"]),
            amount_cents=r["amount_cents"],
            funded=r["funded"],
        )
        for r in rows
    ]
    return {
        "programme": signals(grants).__dict__,
        "categories": {
            c.code: signals([g for g in grants if g.category == c.code]).__dict__ for c in programme.categories
        },
    }
