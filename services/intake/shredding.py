"""Intake's vault at start: the key check, rotation, and sealing what earlier versions stored in plain text.

At every start, before the service answers anything, :func:`open_vault`

1. refuses to start when ``REGIONET_INTAKE_DATA_KEY`` is not the key the stored data keys are
   wrapped with (a clear error instead of unreadable records);
2. rotates: given the new key as ``REGIONET_INTAKE_DATA_KEY`` and the old one as
   ``REGIONET_INTAKE_DATA_KEY_RETIRED``, wraps every data key again with the new one;
3. seals what migration ``005_sealed_personal_data.sql`` set aside from an earlier version
   (names, contact details, birth dates, postcodes, notes, import digests), drops the tables
   that held it, and rewrites the tables that held it before (``VACUUM FULL``) so that their
   files keep no plain text.

All of it runs in one transaction under an advisory lock, so replicas starting together do it once.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Annotated, Any

import asyncpg
from fastapi import Depends

from services.intake.db.participants import PERSONAL, sealed
from services.intake.vault import DataKeyError, Vault
from shared.db import Connection
from shared.service import Runtime, RuntimeDep

log = logging.getLogger(__name__)

VAULT = "intake.vault"
BATCH = 1000
_LOCK = int.from_bytes(hashlib.sha256(b"intake:vault").digest()[:8], "big", signed=True)


async def check_key(conn: Connection, vault: Vault) -> int:
    """Refuse a key-encryption key the stored data keys are not wrapped with; rotate to it from the retired one.

    Returns how many data keys were wrapped again.
    """
    stored: str | None = await conn.fetchval("SELECT kek_id FROM data_key_check")
    if stored is None:
        await conn.execute("INSERT INTO data_key_check (kek_id) VALUES ($1)", vault.kek_id)
        return 0
    if stored == vault.kek_id:
        if vault.retired is not None:
            log.warning("REGIONET_INTAKE_DATA_KEY_RETIRED is no longer needed: every data key uses the current key")
        return 0
    if vault.retired is None or stored != vault.retired.kek_id:
        raise DataKeyError(
            f"REGIONET_INTAKE_DATA_KEY (key id {vault.kek_id}) is not the key this database's personal data is"
            f" protected with (key id {stored}); start intake with that key. To change keys, give the new one as"
            " REGIONET_INTAKE_DATA_KEY and the old one as REGIONET_INTAKE_DATA_KEY_RETIRED"
        )
    rewrapped = 0
    while rows := await conn.fetch(
        "SELECT participant_id, wrapped_key FROM participant_keys WHERE kek_id = $1 LIMIT $2", stored, BATCH
    ):
        again = [vault.rewrap(r["participant_id"], r["wrapped_key"]) for r in rows]
        await conn.execute(
            "UPDATE participant_keys k SET kek_id = $1, wrapped_key = n.wrapped FROM"
            " unnest($2::uuid[], $3::bytea[]) AS n (participant_id, wrapped) WHERE k.participant_id = n.participant_id",
            vault.kek_id,
            [w.participant_id for w in again],
            [w.wrapped for w in again],
        )
        rewrapped += len(again)
    await conn.execute("UPDATE data_key_check SET kek_id = $1", vault.kek_id)
    log.info("data keys wrapped with the new key-encryption key", extra={"data_keys": rewrapped})
    return rewrapped


async def _seal_participants(conn: Connection, vault: Vault) -> int:
    done = 0
    while rows := await conn.fetch("SELECT * FROM unsealed_participants ORDER BY id LIMIT $1", BATCH):
        made = vault.new_keys([r["id"] for r in rows])
        columns: dict[str, list[Any]] = {f"{field}_sealed": [] for field in PERSONAL}
        for row, (key, _) in zip(rows, made, strict=True):
            for column, value in sealed(key, {field: row[field] for field in PERSONAL}).items():
                columns[column].append(value)
        ids = [r["id"] for r in rows]
        await conn.execute(
            "INSERT INTO participant_keys (participant_id, kek_id, wrapped_key)"
            " SELECT unnest($1::uuid[]), $2, unnest($3::bytea[])",
            ids,
            vault.kek_id,
            [wrapped.wrapped for _, wrapped in made],
        )
        assignments = ", ".join(f"{column} = n.{column}" for column in columns)
        unnested = ", ".join(f"${i}::bytea[]" for i in range(2, len(columns) + 2))
        await conn.execute(
            f"UPDATE participants p SET {assignments} FROM unnest($1::uuid[], {unnested})"
            f" AS n (id, {', '.join(columns)}) WHERE p.id = n.id",
            ids,
            *columns.values(),
        )
        await conn.execute("DELETE FROM unsealed_participants WHERE id = ANY($1::uuid[])", ids)
        done += len(rows)
    return done


async def _seal_notes(conn: Connection, vault: Vault) -> int:
    done = 0
    while rows := await conn.fetch(
        "SELECT n.id, n.participant_id, n.note, k.wrapped_key FROM unsealed_notes n"
        " JOIN participant_keys k ON k.participant_id = n.participant_id ORDER BY n.id LIMIT $1",
        BATCH,
    ):
        notes = [vault.unwrap(r["participant_id"], r["wrapped_key"]).seal("note", r["note"]) for r in rows]
        ids = [r["id"] for r in rows]
        await conn.execute(
            "UPDATE timeline t SET note_sealed = n.note_sealed FROM unnest($1::bigint[], $2::bytea[])"
            " AS n (id, note_sealed) WHERE t.id = n.id",
            ids,
            notes,
        )
        await conn.execute("DELETE FROM unsealed_notes WHERE id = ANY($1::bigint[])", ids)
        done += len(rows)
    return done


async def _key_import_digests(conn: Connection, vault: Vault) -> int:
    rows = await conn.fetch("SELECT kind, digest, entity_id, imported_at FROM unsealed_import_keys")
    await conn.executemany(
        "INSERT INTO import_keys (kind, digest, entity_id, imported_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (kind, digest) DO NOTHING",
        [(r["kind"], vault.digest(r["digest"]), r["entity_id"], r["imported_at"]) for r in rows],
    )
    return len(rows)


async def seal_plain_text(conn: Connection, vault: Vault) -> dict[str, int]:
    """Seal what an earlier version stored in plain text (set aside by migration 005); {} when nothing was."""
    if await conn.fetchval("SELECT to_regclass('unsealed_participants')") is None:
        return {}
    sealed_now = {
        "participants": await _seal_participants(conn, vault),
        "notes": await _seal_notes(conn, vault),
        "import_digests": await _key_import_digests(conn, vault),
    }
    await conn.execute("DROP TABLE unsealed_participants, unsealed_notes, unsealed_import_keys")
    return sealed_now


async def open_vault(runtime: Runtime) -> Vault:
    """Check the key, rotate, seal leftover plain text; the vault is then ``runtime.extensions[VAULT]``."""
    vault = Vault.from_settings(runtime.settings)
    # A connection of its own: sealing a large table and VACUUM FULL must not meet the pool's statement limit.
    conn: asyncpg.Connection = await asyncpg.connect(runtime.settings.database_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
            await check_key(conn, vault)
            sealed_now = await seal_plain_text(conn, vault)
        if any(sealed_now.values()):
            # The old tuples (with the dropped plain-text columns) are dead now; rewriting the tables
            # removes them from the data files. WAL and backups from before still hold them (README).
            await conn.execute("VACUUM FULL participants, timeline, import_keys")
            log.info("personal data of an earlier version sealed", extra=sealed_now)
    finally:
        await conn.close()
    runtime.extensions[VAULT] = vault
    return vault


async def get_vault(runtime: RuntimeDep) -> Vault:
    """FastAPI dependency: the running service's vault."""
    vault: Vault = runtime.extensions[VAULT]
    return vault


VaultDep = Annotated[Vault, Depends(get_vault)]
