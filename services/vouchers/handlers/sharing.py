"""What a region shares with other regions about its programmes: aggregates, never people.

A programme's design goes out when it is created (``programme.published``, in
:func:`services.vouchers.handlers.create_programme`). Its results go out when a programme
officer decides to share them (:func:`report_outcomes`): per category the money, and the counts
of applications, vouchers and redemptions, with every count of one to four people left out.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from services.vouchers import db
from services.vouchers.domain import SMALL_GROUP
from services.vouchers.handlers import programme_rules
from shared.db.uow import UnitOfWork
from shared.events.contracts.vouchers import CategoryOutcome, ProgrammeOutcomesReported


def _shown(count: int) -> int | None:
    """A count of people, or None where one to four are behind it."""
    return None if 0 < count < SMALL_GROUP else count


async def report_outcomes(uow: UnitOfWork, programme_id: uuid.UUID, *, now: datetime) -> ProgrammeOutcomesReported:
    """Publish the programme's results so far to the SHARED stream; returns what was published."""
    await programme_rules(uow.conn, programme_id)  # 404 for an unknown programme
    groups = await db.target_group_counts(uow.conn, programme_id)
    categories = []
    for row in await db.outcome_rows(uow.conn, programme_id):
        applications = int(row["applications"])
        categories.append(
            CategoryOutcome(
                code=row["code"],
                budget_cents=row["budget_cents"],
                available_cents=row["available_cents"],
                reserved_cents=row["reserved_cents"],
                redeemed_cents=row["redeemed_cents"],
                settled_cents=row["settled_cents"],
                applications=_shown(applications),
                vouchers_issued=_shown(int(row["vouchers_issued"])),
                vouchers_redeemed=_shown(int(row["vouchers_redeemed"])),
                employer_submitted_pct=(
                    round(100 * int(row["by_employers"]) / applications, 1) if applications >= SMALL_GROUP else None
                ),
                by_target_group={g: _shown(n) for g, n in sorted(groups.get(row["code"], {}).items())},
            )
        )
    report = ProgrammeOutcomesReported(programme_id=programme_id, as_of=now, categories=categories)
    uow.emit(report, subject=str(programme_id))
    return report
