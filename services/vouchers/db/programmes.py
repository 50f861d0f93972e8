"""Programmes, their categories and their draw."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.vouchers.db.money import MoneyMove, move_money
from shared.db import Connection


async def insert_programme(conn: Connection, **values: Any) -> None:
    """Store a programme (its categories separately)."""
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    await conn.execute(f"INSERT INTO programmes ({columns}) VALUES ({params})", *values.values())


async def insert_category(
    conn: Connection,
    *,
    programme_id: uuid.UUID,
    code: str,
    name: str,
    position: int,
    voucher_amount_cents: int,
    eligible_situations: Sequence[str],
    budget_cents: int,
    actor: str,
) -> None:
    """Store a category, then fund it with its opening budget through the ledger."""
    await conn.execute(
        "INSERT INTO categories (programme_id, code, name, position, voucher_amount_cents, eligible_situations,"
        " budget_cents, available_cents) VALUES ($1, $2, $3, $4, $5, $6, 0, 0)",
        programme_id,
        code,
        name,
        position,
        voucher_amount_cents,
        list(eligible_situations),
    )
    opening = MoneyMove(
        programme_id,
        code,
        "budget",
        budget_cents,
        d_budget=budget_cents,
        d_available=budget_cents,
        note="opening budget",
        actor=actor,
    )
    await move_money(conn, opening)


async def get_programme(conn: Connection, programme_id: uuid.UUID) -> asyncpg.Record | None:
    """One programme, or None."""
    row: asyncpg.Record | None = await conn.fetchrow("SELECT * FROM programmes WHERE id = $1", programme_id)
    return row


async def list_programmes(conn: Connection) -> list[asyncpg.Record]:
    """Every programme, newest first."""
    rows: list[asyncpg.Record] = await conn.fetch("SELECT * FROM programmes ORDER BY created_at DESC")
    return rows


async def get_categories(conn: Connection, programme_id: uuid.UUID) -> list[asyncpg.Record]:
    """A programme's categories with their balances, in the officer's order."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM categories WHERE programme_id = $1 ORDER BY position", programme_id
    )
    return rows


async def category_keys(conn: Connection) -> list[asyncpg.Record]:
    """The programme and code of every category."""
    rows: list[asyncpg.Record] = await conn.fetch("SELECT programme_id, code FROM categories")
    return rows


async def set_draw(conn: Connection, programme_id: uuid.UUID, draw: dict[str, Any]) -> bool:
    """Record a programme's draw once; False if it was drawn already."""
    status: str = await conn.execute(
        "UPDATE programmes SET draw = $2, drawn_at = now() WHERE id = $1 AND drawn_at IS NULL", programme_id, draw
    )
    return status.endswith(" 1")
