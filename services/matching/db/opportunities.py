"""Opportunities and their capacity: places total, held by open proposals, filled."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from shared.db import Connection

# What an owner may change after publishing.
EDITABLE = (
    "title",
    "occupation",
    "essential_skills",
    "optional_skills",
    "hours",
    "start_date",
    "country",
    "postcode",
    "open_until",
    "places_total",
    "crebo",
    "recognised",
    "recognition_checked_on",
    "partner_school",
    "language_required",
)


async def insert(conn: Connection, opportunity_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    """A new opportunity; ``values`` names the columns."""
    names = list(values)
    placeholders = ", ".join(f"${i + 2}" for i in range(len(names)))
    await conn.execute(
        f"INSERT INTO opportunities (id, {', '.join(names)}) VALUES ($1, {placeholders})",
        opportunity_id,
        *(values[n] for n in names),
    )


async def update(conn: Connection, opportunity_id: uuid.UUID, changes: Mapping[str, Any], now: datetime) -> None:
    """Change editable fields; a change by the owner also confirms that the opportunity is still open."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not an editable field: {sorted(unknown)}")
    names = list(changes)
    assignments = "".join(f"{name} = ${i + 3}, " for i, name in enumerate(names))
    await conn.execute(
        f"UPDATE opportunities SET {assignments}last_confirmed_at = $2, confirmation_requested_at = NULL,"
        " stale_since = NULL, updated_at = $2 WHERE id = $1",
        opportunity_id,
        now,
        *(changes[n] for n in names),
    )


async def get(conn: Connection, opportunity_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    """One opportunity, or None."""
    lock = " FOR UPDATE" if for_update else ""
    row: asyncpg.Record | None = await conn.fetchrow(f"SELECT * FROM opportunities WHERE id = $1{lock}", opportunity_id)
    return row


async def list_opportunities(
    conn: Connection, *, employer_id: uuid.UUID | None, include_closed: bool, limit: int, offset: int
) -> list[asyncpg.Record]:
    """Opportunities newest first; one employer's when ``employer_id`` is given."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM opportunities WHERE ($1::uuid IS NULL OR employer_id = $1) AND ($2 OR closed_at IS NULL)"
        " ORDER BY created_at DESC, id LIMIT $3 OFFSET $4",
        employer_id,
        include_closed,
        limit,
        offset,
    )
    return rows


async def open_for_engine(conn: Connection) -> list[asyncpg.Record]:
    """Every opportunity not closed (stale ones too: they show as "no longer open")."""
    rows: list[asyncpg.Record] = await conn.fetch("SELECT * FROM opportunities WHERE closed_at IS NULL ORDER BY id")
    return rows


async def hold_place(conn: Connection, opportunity_id: uuid.UUID) -> bool:
    """Hold one place if one is free and the opportunity is open; False otherwise (nothing changes)."""
    held = await conn.fetchval(
        "UPDATE opportunities SET places_held = places_held + 1 WHERE id = $1 AND closed_at IS NULL"
        " AND stale_since IS NULL AND places_held + places_filled < places_total RETURNING id",
        opportunity_id,
    )
    return held is not None


async def release_place(conn: Connection, opportunity_id: uuid.UUID) -> None:
    """A held place is free again."""
    await conn.execute(
        "UPDATE opportunities SET places_held = places_held - 1 WHERE id = $1 AND places_held > 0", opportunity_id
    )


async def fill_place(conn: Connection, opportunity_id: uuid.UUID) -> None:
    """A held place becomes a filled one."""
    await conn.execute(
        "UPDATE opportunities SET places_held = places_held - 1, places_filled = places_filled + 1 WHERE id = $1",
        opportunity_id,
    )


async def vacate_place(conn: Connection, opportunity_id: uuid.UUID) -> None:
    """A filled place is free again (the placement ended)."""
    await conn.execute(
        "UPDATE opportunities SET places_filled = places_filled - 1 WHERE id = $1 AND places_filled > 0",
        opportunity_id,
    )


async def close(conn: Connection, opportunity_id: uuid.UUID, now: datetime) -> None:
    """No more suggestions or proposals."""
    await conn.execute("UPDATE opportunities SET closed_at = $2, updated_at = $2 WHERE id = $1", opportunity_id, now)


async def confirm(conn: Connection, opportunity_id: uuid.UUID, now: datetime) -> None:
    """The owner says it is still open: back in the suggestions if it had gone stale."""
    await conn.execute(
        "UPDATE opportunities SET last_confirmed_at = $2, confirmation_requested_at = NULL, stale_since = NULL,"
        " updated_at = $2 WHERE id = $1",
        opportunity_id,
        now,
    )


async def to_ask(conn: Connection, confirmed_before: datetime, limit: int) -> list[asyncpg.Record]:
    """Open opportunities not confirmed since ``confirmed_before`` and not yet asked; locked, skipping locked ones."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM opportunities WHERE closed_at IS NULL AND confirmation_requested_at IS NULL"
        " AND last_confirmed_at < $1 ORDER BY last_confirmed_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        confirmed_before,
        limit,
    )
    return rows


async def mark_asked(conn: Connection, opportunity_id: uuid.UUID, now: datetime) -> None:
    """The owner was asked "still open?" at ``now``."""
    await conn.execute("UPDATE opportunities SET confirmation_requested_at = $2 WHERE id = $1", opportunity_id, now)


async def to_retire(conn: Connection, asked_before: datetime, limit: int) -> list[asyncpg.Record]:
    """Open opportunities asked before ``asked_before`` and not confirmed since, not stale yet; locked."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM opportunities WHERE closed_at IS NULL AND stale_since IS NULL"
        " AND confirmation_requested_at < $1 ORDER BY confirmation_requested_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        asked_before,
        limit,
    )
    return rows


async def mark_stale(conn: Connection, opportunity_id: uuid.UUID, now: datetime) -> None:
    """Out of the suggestions until the owner confirms it."""
    await conn.execute("UPDATE opportunities SET stale_since = $2 WHERE id = $1", opportunity_id, now)


async def open_places(conn: Connection) -> list[asyncpg.Record]:
    """Every open opportunity's id, title, postcode and number of places, by title: what a picker offers."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT id, title, postcode, places_total FROM opportunities WHERE closed_at IS NULL ORDER BY title, id"
    )
    return rows


async def briefs(conn: Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    """Title, owner, kind and occupation of the opportunities named, by id."""
    rows = await conn.fetch(
        "SELECT id, employer_id, kind, title, occupation FROM opportunities WHERE id = ANY($1::uuid[])", ids
    )
    return {r["id"]: r for r in rows}
