"""The key-encryption key at start: a wrong one is refused, a new one takes over, and an earlier version's plain
text is sealed."""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest

from services.intake import csv_import
from services.intake.app import definition as intake
from services.intake.tests.observe import fetch
from services.intake.vault import DataKeyError, Unreadable, Vault
from shared.db.migrations import migrate, service_migrations_dir
from tests.support.platform import Platform, run_service


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


async def test_a_wrong_key_is_refused_at_start_and_a_new_key_takes_over_from_the_retired_one(
    platform: Platform,
) -> None:
    first, second, wrong = new_key(), new_key(), new_key()
    async with run_service(platform, intake, data_key=first) as s:
        coach = await platform.login("coach", "coach-anna")
        created = await s.client.post(
            "/participants", json={"name": "Fenna Bakker", "situation": "student"}, headers=coach
        )
        pid = created.json()["id"]
        await s.client.post(f"/participants/{pid}/notes", json={"text": "Belt dinsdag"}, headers=coach)

    [before] = await fetch(platform, "SELECT participant_id, wrapped_key FROM intake.participant_keys")
    with pytest.raises(DataKeyError, match=r"is not the key this database's personal data is protected with"):
        async with run_service(platform, intake, data_key=wrong):
            pass
    async with run_service(platform, intake, data_key=second, data_key_retired=first) as s:
        during = (await s.client.get(f"/participants/{pid}", headers=coach)).json()
    with pytest.raises(DataKeyError, match="key id"):
        async with run_service(platform, intake, data_key=first):
            pass
    async with run_service(platform, intake, data_key=second) as s:
        after = (await s.client.get(f"/participants/{pid}", headers=coach)).json()
        notes = [e["note"] for e in (await s.client.get(f"/participants/{pid}/timeline", headers=coach)).json()]
    kek_ids = {r["kek_id"] for r in await fetch(platform, "SELECT kek_id FROM intake.participant_keys")}

    assert during["name"] == after["name"] == "Fenna Bakker"
    assert "Belt dinsdag" in notes
    assert kek_ids == {Vault(base64.urlsafe_b64decode(second)).kek_id}
    # A copy of the key row from before the rotation (old WAL, a backup) opens only with the old key.
    with pytest.raises(Unreadable):
        Vault(base64.urlsafe_b64decode(second)).unwrap(before["participant_id"], before["wrapped_key"])
    assert Vault(base64.urlsafe_b64decode(first)).unwrap(before["participant_id"], before["wrapped_key"])


async def test_plain_text_an_earlier_version_stored_is_sealed_at_start_and_left_in_no_table_file(
    platform: Platform, tmp_path: Path
) -> None:
    earlier = tmp_path / "migrations"
    earlier.mkdir()
    for file in sorted(service_migrations_dir("intake").glob("00[1-4]_*.sql")):
        shutil.copy(file, earlier / file.name)
    row = "naam;e-mail;situatie\nGerrit Hoekstra-Veenstra;g.hoekstra@voorbeeld.nl;zoekt werk\n"
    [accepted] = csv_import.parse_participants(row.encode()).accepted
    pid = uuid.uuid4()
    conn = await asyncpg.connect(platform.dsn("intake"))
    try:
        await migrate(conn, "intake", folder=earlier, region=platform.region)
        await conn.execute(
            "INSERT INTO participants (id, name, email, phone, birth_date, postcode, postcode_area, situation,"
            " registered_by) VALUES ($1, $2, $3, '06 55512345', $4, '8901 AB', '8901', 'looking_for_work', 'import')",
            pid,
            "Gerrit Hoekstra-Veenstra",
            "g.hoekstra@voorbeeld.nl",
            dt.date(1971, 3, 9),
        )
        await conn.execute(
            "INSERT INTO timeline (participant_id, kind, details, note, actor)"
            " VALUES ($1, 'note', to_jsonb('{}'::text), 'Gerrit wil lassen', 'c')",  # details as intake writes them
            pid,
        )
        await conn.execute(
            "INSERT INTO import_keys (kind, digest, entity_id) VALUES ('participant', $1, $2)", accepted.digest, pid
        )
    finally:
        await conn.close()

    admin = await platform.login("admin", "admin-1")  # intake's accounts table exists since migration 004
    async with run_service(platform, intake) as s:
        read = (await s.client.get(f"/participants/{pid}", headers=admin)).json()
        notes = [e["note"] for e in (await s.client.get(f"/participants/{pid}/timeline", headers=admin)).json()]
        again = await s.client.post(
            "/imports/participants", content=row.encode(), headers={**admin, "content-type": "text/csv"}
        )
    conn = await asyncpg.connect(platform.admin_dsn)
    try:
        await conn.execute("CHECKPOINT")
        leftovers = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'unsealed%'")
        files = b"".join(
            [
                await conn.fetchval("SELECT pg_read_binary_file(pg_relation_filepath($1::oid))", c["oid"])
                for c in await conn.fetch(
                    "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'intake' AND c.relkind IN ('r', 'i', 't')"
                )
            ]
        )
    finally:
        await conn.close()

    assert (read["name"], read["email"], read["phone"], read["birth_date"], read["postcode"]) == (
        "Gerrit Hoekstra-Veenstra",
        "g.hoekstra@voorbeeld.nl",
        "06 55512345",
        "1971-03-09",
        "8901 AB",
    )
    assert notes == ["Gerrit wil lassen"]
    assert again.json()["already_imported"] == [2], "the import digest, now keyed, still recognises the row"
    assert leftovers == 0
    for plain in (b"Hoekstra", b"g.hoekstra@voorbeeld.nl", b"55512345", b"1971-03-09", b"8901 AB", b"wil lassen"):
        assert plain not in files, plain
    assert accepted.digest.encode() not in files
