"""Create the database, one schema and one login role per service.

Each role owns its schema, has no rights on any other schema (``public`` included) and finds
its own tables first on its ``search_path``. Runs with an administrator's connection; safe to
run again (it also resets the roles' passwords to the ones given).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from shared.services import SERVICES


def _with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def service_dsn(admin_dsn: str, service: str, password: str) -> str:
    """The connection URL a service uses: same host and database, its own role."""
    parts = urlsplit(admin_dsn)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{SERVICES[service].db_role}:{password}@{host}{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


async def provision_database(admin_dsn: str, passwords: Mapping[str, str]) -> None:
    """Create the database named in ``admin_dsn`` if needed, then each service's role and schema.

    ``passwords`` maps a service name to its role's password.
    """
    database = urlsplit(admin_dsn).path.lstrip("/") or "regionet"
    maintenance = await asyncpg.connect(_with_database(admin_dsn, "postgres"))
    try:
        exists = await maintenance.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await maintenance.execute(f'CREATE DATABASE "{database}"')
    finally:
        await maintenance.close()

    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
        await conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        for service, password in passwords.items():
            role = SERVICES[service].db_role
            has_role = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if has_role else "CREATE"
            await conn.execute(
                f'{verb} ROLE "{role}" LOGIN NOINHERIT NOCREATEDB NOCREATEROLE PASSWORD {_quote_literal(password)}'
            )
            await conn.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO "{role}"')
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{service}" AUTHORIZATION "{role}"')
            await conn.execute(f'ALTER SCHEMA "{service}" OWNER TO "{role}"')
            await conn.execute(f'REVOKE ALL ON SCHEMA "{service}" FROM PUBLIC')
            await conn.execute(f'ALTER ROLE "{role}" IN DATABASE "{database}" SET search_path = "{service}"')
    finally:
        await conn.close()
