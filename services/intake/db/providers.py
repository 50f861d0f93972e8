"""Training providers and their courses."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from services.intake.db.rows import Row, get, insert
from shared.db import Connection


async def insert_provider(conn: Connection, values: Mapping[str, Any]) -> Row | None:
    """Store a new provider; None when the KvK number or account is already registered."""
    return await insert(conn, "providers", values, on_conflict="DO NOTHING")


async def get_provider(conn: Connection, provider_id: uuid.UUID) -> Row | None:
    """One provider, or None."""
    return await get(conn, "providers", provider_id)


async def list_providers(conn: Connection) -> list[Row]:
    """Every provider by name."""
    rows: list[Row] = await conn.fetch("SELECT * FROM providers ORDER BY name, id")
    return rows


async def insert_course(conn: Connection, values: Mapping[str, Any]) -> Row | None:
    """Store a course; None when the provider already has a course with that title."""
    return await insert(conn, "courses", values, on_conflict="(provider_id, title) DO NOTHING")


async def courses_of(conn: Connection, provider_id: uuid.UUID) -> list[Row]:
    """A provider's courses."""
    rows: list[Row] = await conn.fetch("SELECT * FROM courses WHERE provider_id = $1 ORDER BY title", provider_id)
    return rows
