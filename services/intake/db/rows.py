"""Rows as asyncpg returns them, and the INSERT and UPDATE statements every topic builds alike.

Table and column names come from code, never from callers; values are always parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from shared.db import Connection

Row = asyncpg.Record

# Tables with an updated_at column that every UPDATE stamps.
_STAMPED = frozenset({"participants", "employers", "coaches"})


def one(row: Row | None) -> Row:
    """The row a statement that always returns one returned."""
    assert row is not None, "INSERT ... RETURNING returned no row"
    return row


async def get(conn: Connection, table: str, key: Any, *, for_update: bool = False) -> Row | None:
    """The row with id ``key``, or None; ``for_update`` locks it until the transaction ends."""
    lock = " FOR UPDATE" if for_update else ""
    row: Row | None = await conn.fetchrow(f"SELECT * FROM {table} WHERE id = $1{lock}", key)
    return row


async def insert(conn: Connection, table: str, values: Mapping[str, Any], *, on_conflict: str = "") -> Row | None:
    """Insert one row and return it; None when ``on_conflict`` (e.g. ``(id) DO NOTHING``) skipped it."""
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    conflict = f" ON CONFLICT {on_conflict}" if on_conflict else ""
    sql = f"INSERT INTO {table} ({columns}) VALUES ({params}){conflict} RETURNING *"
    row: Row | None = await conn.fetchrow(sql, *values.values())
    return row


async def insert_new(conn: Connection, table: str, values: Mapping[str, Any]) -> Row:
    """Insert one row that cannot clash with another, and return it."""
    return one(await insert(conn, table, values))


async def update(conn: Connection, table: str, key: Any, values: Mapping[str, Any]) -> Row:
    """Change columns of the row with id ``key`` and return it."""
    assignments = ", ".join(f"{column} = ${i}" for i, column in enumerate(values, start=2))
    stamp = ", updated_at = now()" if table in _STAMPED else ""
    sql = f"UPDATE {table} SET {assignments}{stamp} WHERE id = $1 RETURNING *"
    return one(await conn.fetchrow(sql, key, *values.values()))
