"""SQL of the intake service (tables are found on the service role's search path)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from shared.db import Connection

Row = asyncpg.Record


def _one(row: Row | None) -> Row:
    assert row is not None, "INSERT ... RETURNING returned no row"
    return row


async def _insert(conn: Connection, table: str, values: Mapping[str, Any]) -> Row:
    # Column names come from code, never from callers; values are always parameters.
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    return _one(await conn.fetchrow(f"INSERT INTO {table} ({columns}) VALUES ({params}) RETURNING *", *values.values()))


async def _update(conn: Connection, table: str, key: Any, values: Mapping[str, Any], *, key_column: str = "id") -> Row:
    assignments = ", ".join(f"{column} = ${i}" for i, column in enumerate(values, start=2))
    stamp = ", updated_at = now()" if table in ("participants", "employers", "coaches") else ""
    sql = f"UPDATE {table} SET {assignments}{stamp} WHERE {key_column} = $1 RETURNING *"
    return _one(await conn.fetchrow(sql, key, *values.values()))


# Coaches


async def get_coach(conn: Connection, coach_id: str) -> Row | None:
    """One coach account with the size of their caseload."""
    row: Row | None = await conn.fetchrow(
        "SELECT c.*, (SELECT count(*) FROM participants p WHERE p.coach_id = c.id"
        " AND p.status IN ('intake', 'active')) AS caseload FROM coaches c WHERE c.id = $1",
        coach_id,
    )
    return row


async def list_coaches(conn: Connection) -> list[Row]:
    """Every coach account with its caseload (participants in intake or active guidance)."""
    rows: list[Row] = await conn.fetch(
        "SELECT c.*, count(p.id) AS caseload FROM coaches c"
        " LEFT JOIN participants p ON p.coach_id = c.id AND p.status IN ('intake', 'active')"
        " GROUP BY c.id ORDER BY c.id"
    )
    return rows


async def insert_coach(conn: Connection, values: Mapping[str, Any]) -> Row | None:
    """Create a coach account; None when the id is taken."""
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    row: Row | None = await conn.fetchrow(
        f"INSERT INTO coaches ({columns}) VALUES ({params}) ON CONFLICT (id) DO NOTHING RETURNING *",
        *values.values(),
    )
    return row


async def get_coach_account(conn: Connection, coach_id: str) -> Row | None:
    """One coach account without counting the caseload (cheap: for checks on every request)."""
    row: Row | None = await conn.fetchrow("SELECT * FROM coaches WHERE id = $1", coach_id)
    return row


async def caseload(conn: Connection, coach_id: str) -> int:
    """How many participants in intake or active guidance a coach has."""
    n: int = await conn.fetchval(
        "SELECT count(*) FROM participants WHERE coach_id = $1 AND status IN ('intake', 'active')", coach_id
    )
    return n


async def ensure_coach(conn: Connection, coach_id: str, region: str) -> Row:
    """The coach account of a signed coach token, created on first use (just-in-time provisioning)."""
    row = await get_coach_account(conn, coach_id)
    if row is not None:
        return row
    await conn.execute("INSERT INTO coaches (id, region) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", coach_id, region)
    return _one(await get_coach_account(conn, coach_id))


async def update_coach(conn: Connection, coach_id: str, values: Mapping[str, Any]) -> Row:
    """Change a coach account."""
    return await _update(conn, "coaches", coach_id, values)


# Participants


async def insert_participant(conn: Connection, values: Mapping[str, Any]) -> Row:
    """Store a new participant and return the row."""
    return await _insert(conn, "participants", values)


async def get_participant(conn: Connection, participant_id: uuid.UUID, *, for_update: bool = False) -> Row | None:
    """One participant, or None; ``for_update`` locks the row until the transaction ends."""
    lock = " FOR UPDATE" if for_update else ""
    row: Row | None = await conn.fetchrow(f"SELECT * FROM participants WHERE id = $1{lock}", participant_id)
    return row


async def participant_id_of_account(conn: Connection, account_id: str) -> uuid.UUID | None:
    """The participant record a participant's own account belongs to."""
    found: uuid.UUID | None = await conn.fetchval("SELECT id FROM participants WHERE account_id = $1", account_id)
    return found


async def update_participant(conn: Connection, participant_id: uuid.UUID, values: Mapping[str, Any]) -> Row:
    """Change columns of a participant."""
    return await _update(conn, "participants", participant_id, values)


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


async def participant_counts(conn: Connection) -> dict[str, dict[str, int]]:
    """Counts of participants per status, situation, language and declared target group."""
    result: dict[str, dict[str, int]] = {}
    for dimension in ("status", "situation", "preferred_language"):
        rows = await conn.fetch(f"SELECT {dimension} AS k, count(*) AS n FROM participants GROUP BY 1")
        result[dimension] = {r["k"]: r["n"] for r in rows}
    # Target groups are counted only for participants whose latest reporting decision is a 'given'.
    rows = await conn.fetch(
        "SELECT tg AS k, count(*) AS n FROM participants p CROSS JOIN LATERAL unnest(p.target_groups) tg"
        " WHERE (SELECT c.given FROM consent_records c WHERE c.participant_id = p.id"
        " AND c.purpose = 'anonymous_reporting' ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1)"
        " GROUP BY 1"
    )
    result["target_group"] = {r["k"]: r["n"] for r in rows}
    return result


async def birth_date_counts(conn: Connection) -> list[tuple[date | None, int]]:
    """How many participants share each birth date (for age-band counts; never shown as such)."""
    rows = await conn.fetch("SELECT birth_date, count(*) AS n FROM participants GROUP BY 1")
    return [(r["birth_date"], r["n"]) for r in rows]


# Consent


async def add_consent(
    conn: Connection,
    *,
    participant_id: uuid.UUID,
    purpose: str,
    employer_id: uuid.UUID | None,
    given: bool,
    source: str,
    recorded_by: str,
) -> Row:
    """Record a consent decision."""
    return await _insert(
        conn,
        "consent_records",
        {
            "participant_id": participant_id,
            "purpose": purpose,
            "employer_id": employer_id,
            "given": given,
            "source": source,
            "recorded_by": recorded_by,
        },
    )


async def current_consents(conn: Connection, participant_id: uuid.UUID) -> list[Row]:
    """The latest decision per purpose (and employer) that is still a 'given'."""
    rows: list[Row] = await conn.fetch(
        "SELECT * FROM (SELECT DISTINCT ON (purpose, employer_id) * FROM consent_records"
        " WHERE participant_id = $1 ORDER BY purpose, employer_id, recorded_at DESC, id DESC) latest"
        " WHERE given ORDER BY purpose",
        participant_id,
    )
    return rows


async def consent_history(conn: Connection, participant_id: uuid.UUID) -> list[Row]:
    """Every consent decision, oldest first."""
    rows: list[Row] = await conn.fetch(
        "SELECT * FROM consent_records WHERE participant_id = $1 ORDER BY id", participant_id
    )
    return rows


# Timeline and audit


async def add_timeline(
    conn: Connection,
    participant_id: uuid.UUID,
    kind: str,
    actor: str,
    *,
    details: Mapping[str, Any] | None = None,
    note: str | None = None,
) -> Row:
    """Append to a participant's timeline."""
    return await _insert(
        conn,
        "timeline",
        {
            "participant_id": participant_id,
            "kind": kind,
            "details": json.dumps(details or {}),
            "note": note,
            "actor": actor,
        },
    )


async def timeline(conn: Connection, participant_id: uuid.UUID, *, kind: str | None = None) -> list[Row]:
    """A participant's timeline, oldest first; only entries of ``kind`` when given."""
    rows: list[Row] = await conn.fetch(
        "SELECT * FROM timeline WHERE participant_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY id",
        participant_id,
        kind,
    )
    return rows


async def log_access(
    conn: Connection, participant_ids: Iterable[uuid.UUID], *, accessor: str, role: str, action: str
) -> None:
    """Write one access-log entry per participant whose personal data was read."""
    ids = list(participant_ids)
    if ids:
        await conn.execute(
            "INSERT INTO access_log (participant_id, accessor, role, action) SELECT unnest($1::uuid[]), $2, $3, $4",
            ids,
            accessor,
            role,
            action,
        )


async def access_log(conn: Connection, participant_id: uuid.UUID) -> list[Row]:
    """Who read a participant's personal data, oldest first."""
    rows: list[Row] = await conn.fetch("SELECT * FROM access_log WHERE participant_id = $1 ORDER BY id", participant_id)
    return rows


async def record_erasure(conn: Connection, participant_id: uuid.UUID, requested_by: str) -> None:
    """Keep the fact of an erasure (pseudonym, time, requester) without personal data."""
    await conn.execute(
        "INSERT INTO erasures (participant_id, requested_by) VALUES ($1, $2)", participant_id, requested_by
    )


async def get_erasure(conn: Connection, participant_id: uuid.UUID) -> Row | None:
    """The erasure record of a pseudonym, or None."""
    row: Row | None = await conn.fetchrow("SELECT * FROM erasures WHERE participant_id = $1", participant_id)
    return row


# Employers


async def insert_employer(conn: Connection, values: Mapping[str, Any]) -> Row | None:
    """Store a new employer; None when the KvK number is already registered."""
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    row: Row | None = await conn.fetchrow(
        f"INSERT INTO employers ({columns}) VALUES ({params}) ON CONFLICT (kvk_number) DO NOTHING RETURNING *",
        *values.values(),
    )
    return row


async def get_employer(conn: Connection, employer_id: uuid.UUID, *, for_update: bool = False) -> Row | None:
    """One employer, or None."""
    lock = " FOR UPDATE" if for_update else ""
    row: Row | None = await conn.fetchrow(f"SELECT * FROM employers WHERE id = $1{lock}", employer_id)
    return row


async def employer_id_of_kvk(conn: Connection, kvk_number: str) -> uuid.UUID | None:
    """The employer registered under a KvK number."""
    found: uuid.UUID | None = await conn.fetchval("SELECT id FROM employers WHERE kvk_number = $1", kvk_number)
    return found


async def update_employer(conn: Connection, employer_id: uuid.UUID, values: Mapping[str, Any]) -> Row:
    """Change columns of an employer."""
    return await _update(conn, "employers", employer_id, values)


async def list_employers(conn: Connection, *, after: int, limit: int, kvk_number: str | None) -> list[Row]:
    """Employers by name."""
    rows: list[Row] = await conn.fetch(
        "SELECT * FROM employers WHERE ($1::text IS NULL OR kvk_number = $1) ORDER BY name, id OFFSET $2 LIMIT $3",
        kvk_number,
        after,
        limit,
    )
    return rows


async def add_contacts(conn: Connection, employer_id: uuid.UUID, contacts: Sequence[Mapping[str, Any]]) -> None:
    """Store an employer's contact persons."""
    for contact in contacts:
        await _insert(conn, "employer_contacts", {"id": uuid.uuid4(), "employer_id": employer_id, **contact})


async def contacts_of(conn: Connection, employer_id: uuid.UUID) -> list[Row]:
    """An employer's contact persons."""
    rows: list[Row] = await conn.fetch(
        "SELECT * FROM employer_contacts WHERE employer_id = $1 ORDER BY created_at, id", employer_id
    )
    return rows


# Providers and courses


async def insert_provider(conn: Connection, values: Mapping[str, Any]) -> Row | None:
    """Store a new provider; None when the KvK number or account is already registered."""
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    row: Row | None = await conn.fetchrow(
        f"INSERT INTO providers ({columns}) VALUES ({params}) ON CONFLICT DO NOTHING RETURNING *", *values.values()
    )
    return row


async def get_provider(conn: Connection, provider_id: uuid.UUID) -> Row | None:
    """One provider, or None."""
    row: Row | None = await conn.fetchrow("SELECT * FROM providers WHERE id = $1", provider_id)
    return row


async def list_providers(conn: Connection) -> list[Row]:
    """Every provider by name."""
    rows: list[Row] = await conn.fetch("SELECT * FROM providers ORDER BY name, id")
    return rows


async def insert_course(conn: Connection, values: Mapping[str, Any]) -> Row | None:
    """Store a course; None when the provider already has a course with that title."""
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    row: Row | None = await conn.fetchrow(
        f"INSERT INTO courses ({columns}) VALUES ({params}) ON CONFLICT (provider_id, title) DO NOTHING RETURNING *",
        *values.values(),
    )
    return row


async def courses_of(conn: Connection, provider_id: uuid.UUID) -> list[Row]:
    """A provider's courses."""
    rows: list[Row] = await conn.fetch("SELECT * FROM courses WHERE provider_id = $1 ORDER BY title", provider_id)
    return rows


# CSV import


async def claim_import_key(conn: Connection, kind: str, digest: str, entity_id: uuid.UUID) -> bool:
    """Mark an import row as done; False when the same row was imported before."""
    inserted: uuid.UUID | None = await conn.fetchval(
        "INSERT INTO import_keys (kind, digest, entity_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (kind, digest) DO NOTHING RETURNING entity_id",
        kind,
        digest,
        entity_id,
    )
    return inserted is not None
