"""Coach accounts and the size of their caseloads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.intake.db.rows import Row, insert, update
from shared.db import Connection


async def get_coach(conn: Connection, coach_id: str) -> Row | None:
    """One coach account with the size of their caseload."""
    row: Row | None = await conn.fetchrow(
        "SELECT c.*, a.active, (SELECT count(*) FROM participants p WHERE p.coach_id = c.id"
        " AND p.status IN ('intake', 'active')) AS caseload FROM coaches c JOIN accounts a ON a.id = c.id"
        " WHERE c.id = $1",
        coach_id,
    )
    return row


async def list_coaches(conn: Connection) -> list[Row]:
    """Every coach account with its caseload (participants in intake or active guidance)."""
    rows: list[Row] = await conn.fetch(
        "SELECT c.*, a.active, count(p.id) AS caseload FROM coaches c JOIN accounts a ON a.id = c.id"
        " LEFT JOIN participants p ON p.coach_id = c.id AND p.status IN ('intake', 'active')"
        " GROUP BY c.id, a.active ORDER BY c.id"
    )
    return rows


async def insert_coach(conn: Connection, values: Mapping[str, Any]) -> Row | None:
    """Create a coach account; None when the id is taken."""
    return await insert(conn, "coaches", values, on_conflict="(id) DO NOTHING")


async def get_coach_account(conn: Connection, coach_id: str) -> Row | None:
    """One coach with the account's ``active``, without counting the caseload (cheap: for checks)."""
    row: Row | None = await conn.fetchrow(
        "SELECT c.*, a.active FROM coaches c JOIN accounts a ON a.id = c.id WHERE c.id = $1", coach_id
    )
    return row


async def caseload(conn: Connection, coach_id: str) -> int:
    """How many participants in intake or active guidance a coach has."""
    n: int = await conn.fetchval(
        "SELECT count(*) FROM participants WHERE coach_id = $1 AND status IN ('intake', 'active')", coach_id
    )
    return n


async def update_coach(conn: Connection, coach_id: str, values: Mapping[str, Any]) -> Row:
    """Change a coach account."""
    return await update(conn, "coaches", coach_id, values)
