"""Who a notification reaches: accounts from the accounts registry, coaches from the caseload.

``accounts`` (shared migration 003) is the registry's copy in this schema: an account's role,
the party it acts for, whether it is active and the language it reads. ``caseload`` is this
service's own read model of who coaches whom, fed by intake's events, because vouchers' events
name the participant and not their coach.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from shared.auth import Role
from shared.db import Connection


@dataclass(frozen=True)
class Recipient:
    """An account a notification goes to, in the role it holds, with the party it acts for."""

    account: str
    role: Role
    party: str
    language: str | None


async def accounts_acting_for(conn: Connection, role: Role, parties: Sequence[str]) -> dict[str, list[Recipient]]:
    """The active accounts of a role acting for each party (a participant, employer or provider)."""
    rows = await conn.fetch(
        "SELECT id, party, language FROM accounts WHERE role = $1 AND party = ANY($2::text[]) AND active ORDER BY id",
        role.value,
        list(set(parties)),
    )
    found: dict[str, list[Recipient]] = {}
    for r in rows:
        found.setdefault(r["party"], []).append(Recipient(r["id"], role, r["party"], r["language"]))
    return found


async def coaches(conn: Connection, coach_ids: Sequence[str]) -> dict[str, Recipient]:
    """Coach accounts by id; a coach the registry does not know yet reads Dutch, one it deactivated is left out.

    A coach's account id is what intake's events name, so a coach is reachable before the
    registry's copy has the account; once it says the account is inactive, nothing is sent.
    """
    rows = await conn.fetch(
        "SELECT id, active, language FROM accounts WHERE role = 'coach' AND id = ANY($1::text[])",
        list(set(coach_ids)),
    )
    known = {r["id"]: r for r in rows}
    found: dict[str, Recipient] = {}
    for coach in set(coach_ids):
        row = known.get(coach)
        if row is not None and not row["active"]:
            continue
        found[coach] = Recipient(coach, Role.COACH, coach, row["language"] if row else None)
    return found


async def programme_officers(conn: Connection) -> list[Recipient]:
    """Every active programme officer of the region."""
    rows = await conn.fetch(
        "SELECT id, party, language FROM accounts WHERE role = 'programme_officer' AND active ORDER BY id"
    )
    return [Recipient(r["id"], Role.PROGRAMME_OFFICER, r["party"], r["language"]) for r in rows]


async def coaches_of(conn: Connection, participant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The coach of each participant that has one."""
    rows = await conn.fetch(
        "SELECT participant_id, coach_id FROM caseload WHERE participant_id = ANY($1::uuid[])",
        list(set(participant_ids)),
    )
    return {r["participant_id"]: r["coach_id"] for r in rows}


async def assign_coaches(conn: Connection, assignments: Sequence[tuple[uuid.UUID, str]]) -> None:
    """Record who coaches whom (the latest assignment wins)."""
    await conn.executemany(
        "INSERT INTO caseload (participant_id, coach_id) VALUES ($1, $2)"
        " ON CONFLICT (participant_id) DO UPDATE SET coach_id = excluded.coach_id",
        assignments,
    )


async def forget_participants(conn: Connection, participant_ids: Sequence[uuid.UUID]) -> None:
    """Erasure: no trace of who coached the participant."""
    await conn.execute("DELETE FROM caseload WHERE participant_id = ANY($1::uuid[])", list(participant_ids))


async def account_states(conn: Connection, account_ids: Sequence[str]) -> dict[str, tuple[bool, str | None]]:
    """Whether each known account is active, and its language, at send time."""
    rows = await conn.fetch(
        "SELECT id, active, language FROM accounts WHERE id = ANY($1::text[])", list(set(account_ids))
    )
    return {r["id"]: (r["active"], r["language"]) for r in rows}
