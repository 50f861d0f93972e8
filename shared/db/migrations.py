"""Numbered SQL migrations, applied once each, in order, under an advisory lock.

A service's schema first gets the platform's own migrations (outbox and inbox tables, from
``shared/db/migrations/``) and then the service's (``services/<name>/migrations/``). Files are
named ``NNN_description.sql``; each runs in its own transaction together with its record in
``<schema>.schema_migrations``. ``{schema}`` in a platform migration is replaced with the
service's schema name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from shared.db import Connection
from shared.services import SERVICES

PLATFORM_MIGRATIONS = Path(str(resources.files("shared.db") / "migrations"))


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    key: str
    sql: str

    @property
    def checksum(self) -> str:
        """What the file said when it was applied; a later edit is refused."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def service_migrations_dir(service: str) -> Path:
    """Where a service keeps its numbered SQL files."""
    return SERVICES[service].migrations_dir


def pending_files(service: str) -> list[Migration]:
    """Every migration of a service, platform ones first, in order."""
    found: list[Migration] = []
    for origin, folder in (("platform", PLATFORM_MIGRATIONS), (service, service_migrations_dir(service))):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("[0-9][0-9][0-9]_*.sql")):
            sql = path.read_text(encoding="utf-8").replace("{schema}", service)
            found.append(Migration(f"{origin}/{path.name}", sql))
    return found


class MigrationError(RuntimeError):
    """A migration cannot be applied (or an applied one was edited afterwards)."""


async def migrate(conn: Connection, service: str) -> list[str]:
    """Apply the service's pending migrations on ``conn`` (logged in as the service's role).

    Returns the keys of the migrations applied now.
    """
    applied_now: list[str] = []
    lock_key = int.from_bytes(hashlib.sha256(f"migrate:{service}".encode()).digest()[:8], "big", signed=True)
    await conn.execute("SELECT pg_advisory_lock($1)", lock_key)
    try:
        await conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{service}".schema_migrations ('
            " key text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = await conn.fetch(f'SELECT key, checksum FROM "{service}".schema_migrations')
        done = {r["key"]: r["checksum"] for r in rows}
        for migration in pending_files(service):
            if migration.key in done:
                if done[migration.key] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.key} was changed after it was applied; "
                        "add a new numbered migration instead of editing an applied one"
                    )
                continue
            async with conn.transaction():
                await conn.execute(f'SET LOCAL search_path = "{service}"')
                await conn.execute(migration.sql)
                await conn.execute(
                    f'INSERT INTO "{service}".schema_migrations (key, checksum) VALUES ($1, $2)',
                    migration.key,
                    migration.checksum,
                )
            applied_now.append(migration.key)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", lock_key)
    return applied_now


async def is_migrated(conn: Connection, service: str) -> bool:
    """True when every migration of the service has been applied."""
    exists = await conn.fetchval("SELECT to_regclass($1)", f"{service}.schema_migrations")
    if exists is None:
        return False
    keys = {r["key"] for r in await conn.fetch(f'SELECT key FROM "{service}".schema_migrations')}
    return all(m.key in keys for m in pending_files(service))
