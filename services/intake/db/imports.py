"""CSV import bookkeeping: the digests of rows already imported, so a file sent twice imports once."""

from __future__ import annotations

import uuid

from shared.db import Connection


async def claim_import_key(conn: Connection, kind: str, digest: str, entity_id: uuid.UUID) -> bool:
    """Mark an import row as done; False when the same row was imported before."""
    inserted: uuid.UUID | None = await conn.fetchval(
        "INSERT INTO import_keys (kind, digest, entity_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (kind, digest) DO NOTHING RETURNING entity_id",
        kind,
        digest,
        entity_id,
    )
    return inserted is not None
