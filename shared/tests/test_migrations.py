"""Migrations against real Postgres: numbered ones once, repeatable ones again whenever they change."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from shared.db.migrations import MigrationError, is_migrated, migrate
from tests.support.platform import Platform

SERVICE = "matching"  # any provisioned schema; its own folder is replaced by the test's

NUMBERED = "CREATE TABLE runs (n serial PRIMARY KEY);\n"


def repeatable(greeting: str) -> str:
    """A repeatable file that counts how often it ran and defines a function."""
    return (
        "INSERT INTO runs DEFAULT VALUES;\n"
        "DROP FUNCTION IF EXISTS greeting;\n"
        f"CREATE FUNCTION greeting() RETURNS text LANGUAGE sql AS $$ SELECT '{greeting}' $$;\n"
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "001_runs.sql").write_text(NUMBERED)
    (tmp_path / "R_functions.sql").write_text(repeatable("hello"))
    return tmp_path


async def _state(conn: asyncpg.Connection) -> tuple[int, str]:
    return await conn.fetchval(f"SELECT count(*) FROM {SERVICE}.runs"), await conn.fetchval(
        f"SELECT {SERVICE}.greeting()"
    )


async def test_repeatable_migrations_run_after_numbered_ones_and_again_only_when_they_change(
    platform: Platform, folder: Path
) -> None:
    conn = await asyncpg.connect(platform.dsn(SERVICE))
    try:
        first = await migrate(conn, SERVICE, folder=folder)
        assert first[-2:] == [f"{SERVICE}/001_runs.sql", f"{SERVICE}/R_functions.sql"]
        assert await _state(conn) == (1, "hello")

        assert await migrate(conn, SERVICE, folder=folder) == []
        assert await _state(conn) == (1, "hello")  # unchanged: not run again
        assert await is_migrated(conn, SERVICE, folder=folder)

        (folder / "R_functions.sql").write_text(repeatable("hallo"))
        assert not await is_migrated(conn, SERVICE, folder=folder)
        assert await migrate(conn, SERVICE, folder=folder) == [f"{SERVICE}/R_functions.sql"]
        assert await _state(conn) == (2, "hallo")
        assert await is_migrated(conn, SERVICE, folder=folder)
    finally:
        await conn.close()


async def test_a_numbered_migration_edited_after_it_was_applied_is_refused(platform: Platform, folder: Path) -> None:
    conn = await asyncpg.connect(platform.dsn(SERVICE))
    try:
        await migrate(conn, SERVICE, folder=folder)
        (folder / "001_runs.sql").write_text(NUMBERED + "-- an afterthought\n")
        with pytest.raises(MigrationError, match="add a new numbered migration"):
            await migrate(conn, SERVICE, folder=folder)
    finally:
        await conn.close()
