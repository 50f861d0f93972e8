"""SQL migrations of a service's schema: numbered ones once each, repeatable ones whenever they change.

A service's schema gets the platform's own migrations (outbox and inbox, from
``shared/db/migrations/``) and the service's (``services/<name>/migrations/``), under an
advisory lock, each file in its own transaction together with its record (key and checksum) in
``<schema>.schema_migrations``. ``{schema}`` in a platform migration is replaced with the
service's schema name. Two kinds of file:

- **Numbered**, ``NNN_description.sql``: tables, columns, indexes, data. Applied once each, in
  order, platform ones first. A numbered migration is never edited after it has landed:
  :func:`migrate` refuses one whose checksum changed, and ``shared/tests/test_migration_checksums.py``
  compares every numbered file with the list in ``shared/db/migrations.sha256`` (``sha256sum``
  format; add a line for a new file with ``sha256sum <path> >> shared/db/migrations.sha256``).
  Change a schema with a new numbered file.
- **Repeatable**, ``R_description.sql``: SQL functions and the composite types they take,
  which are defined as a whole rather than altered step by step. Applied after every numbered
  migration (platform ones first, each folder in name order), and applied again whenever the
  file's checksum differs from the one recorded. Edit them in place; each must run cleanly over
  its own previous version, so it drops what it creates first (``DROP FUNCTION IF EXISTS``,
  ``DROP TYPE IF EXISTS``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from shared.db import Connection
from shared.services import SERVICES

PLATFORM_MIGRATIONS = Path(str(resources.files("shared.db") / "migrations"))
NUMBERED = "[0-9][0-9][0-9]_*.sql"
REPEATABLE = "R_*.sql"


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    key: str
    sql: str
    repeatable: bool

    @property
    def checksum(self) -> str:
        """What the file said when applied: a numbered file edited later is refused, a repeatable one re-applied."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def service_migrations_dir(service: str) -> Path:
    """Where a service keeps its SQL files."""
    return SERVICES[service].migrations_dir


def migration_files(service: str, folder: Path | None = None) -> list[Migration]:
    """Every migration of a service in the order they apply: numbered, then repeatable; platform ones first.

    ``folder`` replaces the service's own migrations folder (``services/<name>/migrations``).
    """
    folders = (("platform", PLATFORM_MIGRATIONS), (service, folder or service_migrations_dir(service)))
    found: list[Migration] = []
    for pattern, repeatable in ((NUMBERED, False), (REPEATABLE, True)):
        for origin, path in folders:
            for file in sorted(path.glob(pattern)) if path.is_dir() else []:
                sql = file.read_text(encoding="utf-8").replace("{schema}", service)
                found.append(Migration(f"{origin}/{file.name}", sql, repeatable))
    return found


class MigrationError(RuntimeError):
    """A migration cannot be applied (or an applied numbered one was edited afterwards)."""


async def migrate(conn: Connection, service: str, *, folder: Path | None = None, region: str = "") -> list[str]:
    """Apply the service's pending and changed migrations on ``conn`` (logged in as the service's role).

    Returns the keys of the migrations applied now. ``folder`` replaces the service's own
    migrations folder. A migration that moves data reads the deployment's region as
    ``current_setting('regionet.region')``.
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
        done = await _recorded(conn, service)
        for migration in migration_files(service, folder):
            recorded = done.get(migration.key)
            if recorded == migration.checksum:
                continue
            if recorded is not None and not migration.repeatable:
                raise MigrationError(
                    f"migration {migration.key} was changed after it was applied; "
                    "add a new numbered migration instead of editing an applied one"
                )
            async with conn.transaction():
                await conn.execute(f'SET LOCAL search_path = "{service}"')
                await conn.execute("SELECT set_config('regionet.region', $1, true)", region)
                await conn.execute(migration.sql)
                await conn.execute(
                    f'INSERT INTO "{service}".schema_migrations (key, checksum) VALUES ($1, $2)'
                    " ON CONFLICT (key) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()",
                    migration.key,
                    migration.checksum,
                )
            applied_now.append(migration.key)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", lock_key)
    return applied_now


async def _recorded(conn: Connection, service: str) -> dict[str, str]:
    rows = await conn.fetch(f'SELECT key, checksum FROM "{service}".schema_migrations')
    return {r["key"]: r["checksum"] for r in rows}


async def is_migrated(conn: Connection, service: str, *, folder: Path | None = None) -> bool:
    """True when every migration of the service has been applied as it reads now (``folder`` as in :func:`migrate`)."""
    exists = await conn.fetchval("SELECT to_regclass($1)", f"{service}.schema_migrations")
    if exists is None:
        return False
    done = await _recorded(conn, service)
    return all(done.get(m.key) == m.checksum for m in migration_files(service, folder))
