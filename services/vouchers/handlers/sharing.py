"""What a region shares with other regions about its programmes: aggregates, never people.

A programme's design goes out when it is created (``programme.published``, in
:func:`services.vouchers.handlers.programmes.create_programme`). Its results go out when a programme
officer decides to share them (:func:`report_outcomes`): per category the money, and the counts
of applications, vouchers and redemptions, with every count of one to four people left out.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from services.vouchers.db.reports import outcome_rows, target_group_counts
from services.vouchers.domain import too_few
from services.vouchers.handlers.rules import programme_rules
from shared.db.uow import UnitOfWork
from shared.events.contracts.vouchers import CategoryOutcome, ProgrammeOutcomesReported


def _count(count: int, people: int) -> int | None:
    """A count, or None where one to four people are behind it."""
    return None if too_few(people) else count


async def report_outcomes(uow: UnitOfWork, programme_id: uuid.UUID, *, now: datetime) -> ProgrammeOutcomesReported:
    """Publish the programme's results so far to the SHARED stream; returns what was published.

    Every figure is left out (null) when one to four different people are behind it: a count,
    money reserved for or paid to so few people (and the available money, from which it would
    follow), and a share that would give such a count away (the employer share, when one to four
    people applied through an employer or not).
    """
    await programme_rules(uow.conn, programme_id)  # 404 for an unknown programme
    groups = await target_group_counts(uow.conn, programme_id)
    categories = []
    for row in await outcome_rows(uow.conn, programme_id):
        people = int(row["people"])
        hidden = too_few(people)
        # Money shows what the people behind it got: hidden with their count.
        reserved_hidden = hidden or too_few(int(row["people_issued"]))
        redeemed_hidden = hidden or too_few(int(row["people_redeemed"]))
        employer_share_hidden = (
            people == 0
            or hidden
            or too_few(int(row["people_by_employers"]))
            or too_few(int(row["people_not_by_employers"]))
        )
        categories.append(
            CategoryOutcome(
                code=row["code"],
                budget_cents=row["budget_cents"],
                # budget - available = reserved + redeemed: hidden when either is.
                available_cents=None if reserved_hidden or redeemed_hidden else row["available_cents"],
                reserved_cents=None if reserved_hidden else row["reserved_cents"],
                redeemed_cents=None if redeemed_hidden else row["redeemed_cents"],
                settled_cents=None if redeemed_hidden else row["settled_cents"],
                applications=_count(int(row["applications"]), people),
                vouchers_issued=_count(int(row["vouchers_issued"]), int(row["people_issued"])),
                vouchers_redeemed=_count(int(row["vouchers_redeemed"]), int(row["people_redeemed"])),
                employer_submitted_pct=(
                    None
                    if employer_share_hidden
                    else round(100 * int(row["by_employers"]) / int(row["applications"]), 1)
                ),
                by_target_group={g: _count(n, n) for g, n in sorted(groups.get(row["code"], {}).items())},
            )
        )
    report = ProgrammeOutcomesReported(programme_id=programme_id, as_of=now, categories=categories)
    uow.emit(report, subject=str(programme_id))
    return report
