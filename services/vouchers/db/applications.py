"""Applications (which become vouchers): look-ups, changes, the waiting list, the draw and expiry."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from shared.db import Connection


async def get_application(conn: Connection, application_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    """One application (locked for the transaction when ``lock``)."""
    sql = "SELECT * FROM applications WHERE id = $1" + (" FOR UPDATE" if lock else "")
    row: asyncpg.Record | None = await conn.fetchrow(sql, application_id)
    return row


async def get_by_voucher(conn: Connection, voucher_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    """The application of a voucher (locked for the transaction when ``lock``)."""
    sql = "SELECT * FROM applications WHERE voucher_id = $1" + (" FOR UPDATE" if lock else "")
    row: asyncpg.Record | None = await conn.fetchrow(sql, voucher_id)
    return row


async def update_application(conn: Connection, application_id: uuid.UUID, **values: Any) -> asyncpg.Record:
    """Set columns of an application (already locked by the caller) and return it."""
    sets = ", ".join(f"{column} = ${i}" for i, column in enumerate(values, start=2))
    row = await conn.fetchrow(
        f"UPDATE applications SET {sets}, updated_at = now() WHERE id = $1 RETURNING *",
        application_id,
        *values.values(),
    )
    assert row is not None
    return row


async def release_holding(conn: Connection, row: Any) -> None:
    """Give the slot and cents of a rejected or cancelled application back: in its programme, and in its year."""
    await conn.execute(
        "UPDATE holdings SET count = count - 1, cents = cents - $3 WHERE programme_id = $1 AND participant_id = $2",
        row["programme_id"],
        row["participant_id"],
        row["amount_cents"],
    )
    if row["cap_year"] is not None:  # None only for applications the yearly sums never counted
        await conn.execute(
            "UPDATE yearly_holdings SET cents = cents - $3 WHERE participant_id = $1 AND year = $2",
            row["participant_id"],
            row["cap_year"],
            row["amount_cents"],
        )


async def list_applications(
    conn: Connection,
    *,
    programme_id: uuid.UUID | None = None,
    status: str | None = None,
    participant_id: uuid.UUID | None = None,
    provider_id: uuid.UUID | None = None,
    submitted_by: str | None = None,
    vouchers_only: bool = False,
    newest_first: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[asyncpg.Record]:
    """Applications filtered by what the caller may see, in the order they were filed (or newest first).

    Only the filters given are in the statement, so that its plan can use the index that fits them (a
    provider's vouchers: ``applications_provider_seq``, either way round).
    """
    filters = {
        "programme_id": programme_id,
        "status": status,
        "participant_id": participant_id,
        "provider_id": provider_id,
        "submitted_by": submitted_by,
    }
    given = {column: value for column, value in filters.items() if value is not None}
    where = [f"{column} = ${i}" for i, column in enumerate(given, start=1)]
    if vouchers_only:
        where.append("voucher_id IS NOT NULL")
    n = len(given)
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT * FROM applications WHERE {' AND '.join(where) or 'true'}"
        f" ORDER BY seq{' DESC' if newest_first else ''} LIMIT ${n + 1} OFFSET ${n + 2}",
        *given.values(),
        limit,
        offset,
    )
    return rows


async def open_applications_of(conn: Connection, participant_id: uuid.UUID) -> list[uuid.UUID]:
    """A participant's applications that wait for money or a draw."""
    rows = await conn.fetch(
        "SELECT id FROM applications WHERE participant_id = $1 AND status IN ('submitted', 'waitlisted') ORDER BY seq",
        participant_id,
    )
    return [r["id"] for r in rows]


async def waitlist_candidates(
    conn: Connection, programme_id: uuid.UUID, category: str, max_amount: int, limit: int = 20
) -> list[asyncpg.Record]:
    """Waiting applications whose amount fits, in waiting-list order, with the participant's situation.

    Locked with SKIP LOCKED so concurrent releases hand out different applications.
    """
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT a.*, p.situation FROM applications a LEFT JOIN participants p ON p.id = a.participant_id"
        " WHERE a.programme_id = $1 AND a.category = $2 AND a.status = 'waitlisted' AND a.amount_cents <= $3"
        " ORDER BY a.draw_rank NULLS LAST, a.seq LIMIT $4 FOR UPDATE OF a SKIP LOCKED",
        programme_id,
        category,
        max_amount,
        limit,
    )
    return rows


async def unfunded_for_draw(conn: Connection, programme_id: uuid.UUID) -> list[asyncpg.Record]:
    """Applications waiting for the lottery, locked."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM applications WHERE programme_id = $1 AND status = 'submitted' AND NOT reserved"
        " ORDER BY seq FOR UPDATE",
        programme_id,
    )
    return rows


async def mark_draw_results(
    conn: Connection,
    funded: Sequence[tuple[uuid.UUID, str, int, uuid.UUID | None]],
    waitlisted: Sequence[tuple[uuid.UUID, int]],
) -> None:
    """Set the statuses a draw decided: funded (status, rank, voucher id) and waiting (rank)."""
    await conn.executemany(
        "UPDATE applications SET status = $2, reserved = true, draw_rank = $3, voucher_id = $4,"
        " issued_at = CASE WHEN $4::uuid IS NULL THEN NULL ELSE now() END, updated_at = now() WHERE id = $1",
        funded,
    )
    await conn.executemany(
        "UPDATE applications SET status = 'waitlisted', draw_rank = $2, updated_at = now() WHERE id = $1", waitlisted
    )


async def programmes_with_open_items_due(conn: Connection, now: datetime) -> list[uuid.UUID]:
    """Programmes past their redemption deadline that still have unclaimed vouchers or open applications."""
    rows = await conn.fetch(
        "SELECT p.id FROM programmes p WHERE p.redeem_by <= $1 AND EXISTS ("
        " SELECT 1 FROM applications a WHERE a.programme_id = p.id"
        " AND a.status IN ('voucher_issued', 'waitlisted', 'submitted'))",
        now,
    )
    return [r["id"] for r in rows]


async def due_for_expiry(conn: Connection, programme_id: uuid.UUID) -> list[asyncpg.Record]:
    """Issued vouchers and waiting applications of a programme, locked (skipping ones in use)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM applications WHERE programme_id = $1"
        " AND status IN ('voucher_issued', 'waitlisted', 'submitted') ORDER BY seq FOR UPDATE SKIP LOCKED",
        programme_id,
    )
    return rows
