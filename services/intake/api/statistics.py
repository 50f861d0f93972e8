"""Aggregates for programme officers: counts, never persons."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from services.intake import db, domain
from services.intake.shredding import VaultDep
from shared.auth import Principal, Role, require_roles
from shared.service import RuntimeDep

router = APIRouter(prefix="/statistics", tags=["statistics"])

Officer = Annotated[Principal, require_roles(Role.PROGRAMME_OFFICER, Role.ADMIN)]


class ParticipantStatistics(BaseModel):
    """How many participants there are per trajectory status, situation, age group, language and target group.

    Target groups count only participants who consented to anonymous reporting. A count of 1 to
    ``suppressed_below - 1`` is shown as null, so that no one can be singled out.
    """

    total: int
    suppressed_below: int = domain.SMALL_COUNT
    status: dict[str, int | None]
    situation: dict[str, int | None]
    age_group: dict[str, int | None]
    preferred_language: dict[str, int | None]
    target_group: dict[str, int | None]


@router.get("/participants", response_model=ParticipantStatistics)
async def participant_statistics(runtime: RuntimeDep, vault: VaultDep, principal: Officer) -> ParticipantStatistics:
    """Counts of participants; no names, no records."""
    async with runtime.pool.acquire() as conn:
        counts = await db.statistics.participant_counts(conn)
        births, unknown = await db.statistics.birth_dates(conn, vault)
    today = date.today()
    ages: Counter[str] = Counter(domain.age_group(birth_date, today).value for birth_date in births)
    if unknown:
        ages[domain.age_group(None, today).value] += unknown
    shown = {name: domain.suppress_small_counts(dict(values)) for name, values in counts.items()}
    return ParticipantStatistics(
        total=sum(counts["status"].values()), age_group=domain.suppress_small_counts(dict(ages)), **shown
    )
