"""Participants: their records, and the lists coaches and administrators page through."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.intake.db.rows import Row, get, insert_new, update
from shared.db import Connection


async def insert_participant(conn: Connection, values: Mapping[str, Any]) -> Row:
    """Store a new participant and return the row."""
    return await insert_new(conn, "participants", values)


async def get_participant(conn: Connection, participant_id: uuid.UUID, *, for_update: bool = False) -> Row | None:
    """One participant, or None; ``for_update`` locks the row until the transaction ends."""
    return await get(conn, "participants", participant_id, for_update=for_update)


async def participant_id_of_account(conn: Connection, account_id: str) -> uuid.UUID | None:
    """The participant record a participant's own account belongs to."""
    found: uuid.UUID | None = await conn.fetchval("SELECT id FROM participants WHERE account_id = $1", account_id)
    return found


async def update_participant(conn: Connection, participant_id: uuid.UUID, values: Mapping[str, Any]) -> Row:
    """Change columns of a participant."""
    return await update(conn, "participants", participant_id, values)


async def delete_participant(conn: Connection, participant_id: uuid.UUID) -> None:
    """Remove a participant with their consents and timeline (cascade) and their import digests."""
    await conn.execute("DELETE FROM import_keys WHERE entity_id = $1", participant_id)
    await conn.execute("DELETE FROM participants WHERE id = $1", participant_id)


@dataclass(frozen=True)
class ParticipantFilter:
    """Which participants a list shows; ``visible_to_coach`` limits it to a coach's caseload."""

    coach_id: str | None = None
    unassigned: bool = False
    status: str | None = None
    situation: str | None = None
    target_group: str | None = None
    postcode_area: str | None = None
    visible_to_coach: str | None = None


async def list_participants(conn: Connection, where: ParticipantFilter, *, after: int, limit: int) -> list[Row]:
    """A page of participants in registration order, after the key ``after``."""
    clauses = ["seq > $1"]
    args: list[Any] = [after]

    def add(sql: str, value: Any) -> None:
        args.append(value)
        clauses.append(sql.format(f"${len(args)}"))

    if where.visible_to_coach is not None:
        add("(coach_id = {0} OR (coach_id IS NULL AND status = 'intake'))", where.visible_to_coach)
    if where.coach_id is not None:
        add("coach_id = {0}", where.coach_id)
    if where.unassigned:
        clauses.append("coach_id IS NULL")
    if where.status is not None:
        add("status = {0}", where.status)
    if where.situation is not None:
        add("situation = {0}", where.situation)
    if where.target_group is not None:
        add("target_groups @> ARRAY[{0}]::text[]", where.target_group)
    if where.postcode_area is not None:
        add("postcode_area = {0}", where.postcode_area)
    args.append(limit)
    sql = f"SELECT * FROM participants WHERE {' AND '.join(clauses)} ORDER BY seq LIMIT ${len(args)}"
    rows: list[Row] = await conn.fetch(sql, *args)
    return rows
