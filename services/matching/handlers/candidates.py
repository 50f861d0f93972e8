"""What a coach adds to a candidate's profile."""

from __future__ import annotations

import uuid

from services.matching.access import reachable_candidate
from services.matching.db import candidates as store
from services.matching.handlers.commands import CandidateAdditions
from shared.auth import Principal
from shared.db.uow import UnitOfWork
from shared.errors import Unprocessable

NOT_NULL = ("hours_min", "hours_max", "travel_radius_km", "preferred_kinds")


async def add_to_profile(
    uow: UnitOfWork, participant_id: uuid.UUID, body: CandidateAdditions, principal: Principal
) -> None:
    """Store the coach's additions; hours stay a range (minimum at most the maximum)."""
    row = reachable_candidate(principal, await store.get(uow.conn, participant_id, for_update=True))
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    cleared = sorted(name for name in NOT_NULL if name in changes and changes[name] is None)
    if cleared:
        raise Unprocessable(f"These cannot be empty: {', '.join(cleared)}.")
    if "preferred_kinds" in changes:
        changes["preferred_kinds"] = sorted({k.value for k in changes["preferred_kinds"]})
    hours_min = changes.get("hours_min", row["hours_min"])
    hours_max = changes.get("hours_max", row["hours_max"])
    if hours_min > hours_max:
        raise Unprocessable(f"hours_min ({hours_min}) is more than hours_max ({hours_max}).")
    await store.set_additions(uow.conn, participant_id, changes)
