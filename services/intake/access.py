"""Who may see and change which participant: the caseload rules of intake.

Coaches see and change their own caseload plus unassigned participants still in intake;
administrators see everyone; a participant sees only their own record; programme officers
see aggregates only. A participant outside the caller's reach is reported as not found, so
that nobody learns who is in another coach's caseload.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from services.intake import db
from services.intake.db.participants import Participant
from services.intake.vault import Vault
from shared.auth import Principal, Role
from shared.db import Connection
from shared.errors import ClientError, Forbidden, NotFound
from shared.events.contracts.intake import TrajectoryStatus


class Gone(ClientError):
    """The thing asked for existed but was erased."""

    status = 410


def can_reach(principal: Principal, row: db.Row | Mapping[str, Any]) -> bool:
    """True when the caller may see and change this participant."""
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.COACH:
        unassigned_intake = row["coach_id"] is None and row["status"] == TrajectoryStatus.INTAKE.value
        return bool(row["coach_id"] == principal.sub or unassigned_intake)
    if principal.role is Role.PARTICIPANT:
        return principal.party == str(row["id"])
    return False


async def reachable_participant(
    conn: Connection, vault: Vault, participant_id: uuid.UUID, principal: Principal, *, for_update: bool = False
) -> Participant:
    """The participant, opened, if the caller may reach them; otherwise a clear 404 (or 410 when erased)."""
    if not principal.has(Role.ADMIN, Role.COACH, Role.PARTICIPANT):
        raise Forbidden(
            f"the role {principal.role.value} cannot see participants' personal data;"
            " programme officers use GET /statistics/participants"
        )
    row = await db.participants.find_participant(conn, participant_id, for_update=for_update)
    if row is None or not can_reach(principal, row):
        if principal.role is Role.ADMIN and await db.audit.get_erasure(conn, participant_id) is not None:
            raise Gone(f"participant {participant_id} was erased at their request; nothing is kept about them")
        raise NotFound(f"there is no participant {participant_id} in your caseload")
    return db.participants.open_participant(vault, row)
