"""Connection pools with the codecs every service expects."""

from __future__ import annotations

import json

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    # json/jsonb columns read as Python values and accept them as parameters.
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(typename, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool beyond asyncpg's own clean-up: nothing.

    asyncpg always rolls back a transaction left open and drops listeners before calling this.
    Its default reset also sends ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``,
    one more round trip on every release; pool connections here never take session-level
    advisory locks (migrations unlock their own), keep cursors outside a transaction, LISTEN
    (the outbox relay has its own connection) or ``SET`` anything beyond ``SET LOCAL``.
    """


async def create_pool(
    dsn: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    connect_timeout: float = 5.0,
    command_timeout: float | None = None,
) -> asyncpg.Pool:
    """A pool on ``dsn`` whose connections decode JSON.

    ``connect_timeout`` bounds opening a connection and ``command_timeout`` every statement, so
    that a frozen database turns requests into prompt errors (answered 503) instead of hangs.
    """
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        timeout=connect_timeout,
        command_timeout=command_timeout,
    )
    return pool
