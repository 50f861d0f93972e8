"""Nothing stale: an opportunity not confirmed for a while is asked "still open?", and leaves the
suggestions when nobody answers within the grace period. Confirming (or changing) it brings it back.
"""

from __future__ import annotations

from datetime import datetime

from services.matching.db import opportunities as store
from services.matching.db import proposals as proposal_store
from services.matching.handlers.opportunities import ref
from services.matching.handlers.proposals import expire_row
from services.matching.settings import MatchingSettings
from shared.db.uow import UnitOfWork
from shared.events.contracts.matching import (
    OpportunityConfirmationRequested,
    OpportunityWentStale,
    StaleReason,
)

BATCH = 200


async def ask_still_open(uow: UnitOfWork, settings: MatchingSettings, now: datetime) -> int:
    """Ask the owners of opportunities unconfirmed for ``confirm_after_days``; how many were asked."""
    rows = await store.to_ask(uow.conn, now - settings.confirm_after, BATCH)
    for row in rows:
        await store.mark_asked(uow.conn, row["id"], now)
        uow.emit(
            OpportunityConfirmationRequested(
                **ref(row), last_confirmed_at=row["last_confirmed_at"], confirm_by=now + settings.stale_grace
            ),
            subject=str(row["id"]),
        )
    return len(rows)


async def retire_unconfirmed(uow: UnitOfWork, settings: MatchingSettings, now: datetime) -> int:
    """Take out of the suggestions what was asked ``stale_grace_days`` ago and not confirmed; how many."""
    rows = await store.to_retire(uow.conn, now - settings.stale_grace, BATCH)
    for row in rows:
        await store.mark_stale(uow.conn, row["id"], now)
        uow.emit(
            OpportunityWentStale(
                **ref(row), reason=StaleReason.NOT_CONFIRMED, last_confirmed_at=row["last_confirmed_at"]
            ),
            subject=str(row["id"]),
        )
    return len(rows)


async def expire_holds(uow: UnitOfWork, now: datetime) -> int:
    """Expire proposals whose hold ran out; their places are free again. How many."""
    rows = await proposal_store.due_for_expiry(uow.conn, now, BATCH)
    for row in rows:
        await expire_row(uow, row, now)
    return len(rows)
