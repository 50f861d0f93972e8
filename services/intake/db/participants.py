"""Participants: their records, and the lists coaches and administrators page through.

Personal fields are stored sealed with the participant's own data key (:mod:`services.intake.vault`):
``name_sealed`` and so on. :func:`get_participant` and :func:`list_participants` answer them opened, as
:class:`Participant` records; :func:`find_participant` answers the sealed row, for checks that need
no personal data.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.intake.db.rows import Row, one
from services.intake.vault import PersonKey, Vault
from shared.db import Connection

# The personal fields, each stored as ``<field>_sealed``.
PERSONAL = ("name", "email", "phone", "birth_date", "postcode")
_WITH_KEY = "SELECT p.*, k.wrapped_key FROM participants p JOIN participant_keys k ON k.participant_id = p.id"


class Participant(dict[str, Any]):
    """A participant's row with the personal fields opened, and the key that opened them."""

    def __init__(self, values: Mapping[str, Any], key: PersonKey) -> None:
        super().__init__(values)
        self.key = key


def opened(row: Row, key: PersonKey) -> Participant:
    """A stored row as callers read it: sealed columns replaced by their values."""
    values = {k: v for k, v in row.items() if not k.endswith("_sealed") and k != "wrapped_key"}
    for field in PERSONAL:
        values[field] = key.open(field, row[f"{field}_sealed"])
    if values["birth_date"] is not None:
        values["birth_date"] = date.fromisoformat(values["birth_date"])
    return Participant(values, key)


def sealed(key: PersonKey, values: Mapping[str, Any]) -> dict[str, Any]:
    """Column values to store: personal fields sealed with the participant's key."""
    columns: dict[str, Any] = {}
    for field, value in values.items():
        if field in PERSONAL:
            text = value.isoformat() if isinstance(value, date) else value
            columns[f"{field}_sealed"] = key.seal(field, text)
        else:
            columns[field] = value
    return columns


async def insert_participant(conn: Connection, vault: Vault, values: Mapping[str, Any]) -> Participant:
    """Store a new participant (``values`` has the ``id``) with a new data key, in one statement."""
    participant_id: uuid.UUID = values["id"]
    [(key, wrapped)] = vault.new_keys([participant_id])
    columns = sealed(key, values)
    n = len(columns)
    sql = (
        f"WITH p AS (INSERT INTO participants ({', '.join(columns)})"
        f" VALUES ({', '.join(f'${i}' for i in range(1, n + 1))}) RETURNING *),"
        " k AS (INSERT INTO participant_keys (participant_id, kek_id, wrapped_key)"
        f" VALUES (${n + 1}, ${n + 2}, ${n + 3}))"
        " SELECT * FROM p"
    )
    row = one(await conn.fetchrow(sql, *columns.values(), participant_id, wrapped.kek_id, wrapped.wrapped))
    return opened(row, key)


async def find_participant(conn: Connection, participant_id: uuid.UUID, *, for_update: bool = False) -> Row | None:
    """The stored row (personal fields sealed), or None; ``for_update`` locks it until the transaction ends."""
    lock = " FOR UPDATE OF p" if for_update else ""
    row: Row | None = await conn.fetchrow(f"{_WITH_KEY} WHERE p.id = $1{lock}", participant_id)
    return row


def open_participant(vault: Vault, row: Row) -> Participant:
    """A row found with its wrapped key, opened."""
    return opened(row, vault.unwrap(row["id"], row["wrapped_key"]))


async def get_participant(
    conn: Connection, vault: Vault, participant_id: uuid.UUID, *, for_update: bool = False
) -> Participant | None:
    """One participant with their personal fields, or None."""
    row = await find_participant(conn, participant_id, for_update=for_update)
    return None if row is None else open_participant(vault, row)


async def update_participant(conn: Connection, current: Participant, values: Mapping[str, Any]) -> Participant:
    """Change fields of a participant (personal ones sealed again with their key)."""
    columns = sealed(current.key, values)
    assignments = ", ".join(f"{column} = ${i}" for i, column in enumerate(columns, start=2))
    sql = f"UPDATE participants SET {assignments}, updated_at = now() WHERE id = $1 RETURNING *"
    row = one(await conn.fetchrow(sql, current["id"], *columns.values()))
    return opened(row, current.key)


async def delete_participant(conn: Connection, participant_id: uuid.UUID) -> None:
    """Destroy the participant's data key, then remove them with their consents and timeline (cascade)
    and their import digests."""
    await conn.execute("DELETE FROM participant_keys WHERE participant_id = $1", participant_id)
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
    ids: tuple[uuid.UUID, ...] | None = None
    visible_to_coach: str | None = None


async def list_participants(
    conn: Connection, vault: Vault, where: ParticipantFilter, *, after: int, limit: int
) -> list[Participant]:
    """A page of participants in registration order, after the key ``after``."""
    clauses = ["p.seq > $1"]
    args: list[Any] = [after]

    def add(sql: str, value: Any) -> None:
        args.append(value)
        clauses.append(sql.format(f"${len(args)}"))

    if where.visible_to_coach is not None:
        add("(p.coach_id = {0} OR (p.coach_id IS NULL AND p.status = 'intake'))", where.visible_to_coach)
    if where.coach_id is not None:
        add("p.coach_id = {0}", where.coach_id)
    if where.unassigned:
        clauses.append("p.coach_id IS NULL")
    if where.status is not None:
        add("p.status = {0}", where.status)
    if where.situation is not None:
        add("p.situation = {0}", where.situation)
    if where.target_group is not None:
        add("p.target_groups @> ARRAY[{0}]::text[]", where.target_group)
    if where.postcode_area is not None:
        add("p.postcode_area = {0}", where.postcode_area)
    if where.ids is not None:
        add("p.id = ANY({0}::uuid[])", list(where.ids))
    args.append(limit)
    sql = f"{_WITH_KEY} WHERE {' AND '.join(clauses)} ORDER BY p.seq LIMIT ${len(args)}"
    return [open_participant(vault, row) for row in await conn.fetch(sql, *args)]
