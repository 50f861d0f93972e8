"""Employers and their contact persons."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from services.intake.db.rows import Row, get, insert, insert_new, update
from shared.db import Connection


async def insert_employer(conn: Connection, values: Mapping[str, Any]) -> Row | None:
    """Store a new employer; None when the KvK number is already registered."""
    return await insert(conn, "employers", values, on_conflict="(kvk_number) DO NOTHING")


async def get_employer(conn: Connection, employer_id: uuid.UUID, *, for_update: bool = False) -> Row | None:
    """One employer, or None."""
    return await get(conn, "employers", employer_id, for_update=for_update)


async def employer_id_of_kvk(conn: Connection, kvk_number: str) -> uuid.UUID | None:
    """The employer registered under a KvK number."""
    found: uuid.UUID | None = await conn.fetchval("SELECT id FROM employers WHERE kvk_number = $1", kvk_number)
    return found


async def update_employer(conn: Connection, employer_id: uuid.UUID, values: Mapping[str, Any]) -> Row:
    """Change columns of an employer."""
    return await update(conn, "employers", employer_id, values)


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
        await insert_new(conn, "employer_contacts", {"id": uuid.uuid4(), "employer_id": employer_id, **contact})


async def contacts_of(conn: Connection, employer_id: uuid.UUID) -> list[Row]:
    """An employer's contact persons."""
    rows: list[Row] = await conn.fetch(
        "SELECT * FROM employer_contacts WHERE employer_id = $1 ORDER BY created_at, id", employer_id
    )
    return rows
