"""Aggregates for programme officers: counts, never persons."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from services.intake import db, domain
from shared.auth import Principal, Role, require_roles
from shared.service import RuntimeDep

router = APIRouter(prefix="/statistics", tags=["statistics"])

Officer = Annotated[Principal, require_roles(Role.PROGRAMME_OFFICER, Role.ADMIN)]


class ParticipantStatistics(BaseModel):
    """How many participants there are per trajectory status, situation, age group, language and target group.

    Target groups count only participants who consented to anonymous reporting.
    """

    total: int
    status: dict[str, int]
    situation: dict[str, int]
    age_group: dict[str, int]
    preferred_language: dict[str, int]
    target_group: dict[str, int]


@router.get("/participants", response_model=ParticipantStatistics)
async def participant_statistics(runtime: RuntimeDep, principal: Officer) -> ParticipantStatistics:
    """Counts of participants; no names, no records."""
    async with runtime.pool.acquire() as conn:
        counts = await db.participant_counts(conn)
        births = await db.birth_date_counts(conn)
    today = date.today()
    ages: Counter[str] = Counter()
    for birth_date, n in births:
        ages[domain.age_group(birth_date, today).value] += n
    return ParticipantStatistics(total=sum(counts["status"].values()), age_group=dict(ages), **counts)
