"""Erasure: afterwards intake holds nothing personal about the participant, and no stream does.

Personal fields are sealed with a key per person (crypto-shredding): the proof reads Postgres's
own files (every relation of the test database and every WAL segment written during the test)
and finds no plain text in them, before or after erasure, while the ciphertext left behind in
them after erasure opens with no key the database still holds.
"""

from __future__ import annotations

import contextlib
import uuid

import asyncpg
import pytest

from services.intake.app import definition as intake
from services.intake.tests.observe import event_types, fetch, published
from services.intake.vault import Unreadable, Vault
from services.notifications.app import definition as notifications
from shared.bus.topology import STREAMS
from tests.support.platform import Platform, run_service

NAME = "Wilhelmina Oosterhuis-Brandsma"
EMAIL = "w.oosterhuis@voorbeeld.nl"
PHONE = "06 98765432"
CSV = f"naam;e-mail;situatie\n{NAME};{EMAIL};zoekt werk\nAnder Persoon;ander@example.nl;student\n"
PERSONAL = [NAME.encode(), b"Oosterhuis", EMAIL.encode(), PHONE.encode(), b"98765432", b"1962-04-30", b"7001 BC"]


async def everything_intake_holds(platform: Platform) -> str:
    """Every row of every intake table, as text."""
    tables = await fetch(platform, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'intake'")
    dump = []
    for t in tables:
        rows = await fetch(platform, f'SELECT t::text AS row FROM intake."{t["table_name"]}" t')
        dump += [r["row"] for r in rows]
    return "\n".join(dump)


async def everything_streams_hold(platform: Platform) -> bytes:
    return b"\n".join([b for stream in STREAMS for b in await platform.stream_messages(stream.name)])


class PostgresFiles:
    """The raw bytes Postgres keeps on disk for this test's database, read through the server as superuser."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.wal_start: tuple[str, int] = ("", 0)
        self.slot = f"erasure_test_{uuid.uuid4().hex}"
        self.holder: asyncpg.Connection | None = None

    async def _connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.platform.admin_dsn)

    @staticmethod
    async def _wal_position(conn: asyncpg.Connection) -> tuple[str, int]:
        row = await conn.fetchrow("SELECT file_name, file_offset FROM pg_walfile_name_offset(pg_current_wal_lsn())")
        assert row is not None
        return row["file_name"], row["file_offset"]

    async def mark_wal(self) -> None:
        """Remember where the WAL is written now: later reads start there (the WAL is the whole server's).

        A temporary replication slot keeps every segment from here on while its connection is open
        (until :meth:`release`, or the test process dies): without it a checkpoint may recycle the
        first segments while other tests write to the same server.
        """
        self.holder = await self._connect()
        await self.holder.execute("SELECT pg_create_physical_replication_slot($1, true, true)", self.slot)
        self.wal_start = await self._wal_position(self.holder)

    async def release(self) -> None:
        """Let the server recycle the WAL again: the temporary slot goes with its connection."""
        if self.holder is not None:
            await self.holder.close()

    async def read(self) -> tuple[bytes, bytes]:
        """(every relation file of the database, the WAL written since :meth:`mark_wal`), after a checkpoint."""
        conn = await self._connect()
        try:
            await conn.execute("CHECKPOINT")  # dirty pages reach the data files
            paths = await conn.fetch(
                "SELECT pg_relation_filepath(oid) AS path FROM pg_class WHERE pg_relation_filepath(oid) IS NOT NULL"
                " AND relpersistence = 'p'"
            )
            relations = [
                await conn.fetchval("SELECT pg_read_binary_file($1, 0, 1 << 29, true)", r["path"]) or b"" for r in paths
            ]
            (first, start), (last, end) = self.wal_start, await self._wal_position(conn)
            segments = await conn.fetch(
                "SELECT name FROM pg_ls_waldir() WHERE name BETWEEN $1 AND $2 ORDER BY name", first, last
            )
            wal = []
            for segment in segments:
                # Only what was written in between: a segment also holds older records, and recycled
                # segments beyond the current one hold stale bytes of the whole server.
                offset = start if segment["name"] == first else 0
                length = (end if segment["name"] == last else 1 << 29) - offset
                path = f"pg_wal/{segment['name']}"
                wal.append(await conn.fetchval("SELECT pg_read_binary_file($1, $2, $3)", path, offset, length))
        finally:
            await conn.close()
        return b"".join(relations), b"".join(wal)


async def test_personal_data_is_sealed_on_disk_and_after_erasure_no_key_opens_what_is_left(
    platform: Platform,
) -> None:
    files = PostgresFiles(platform)
    await files.mark_wal()
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(files.release)
        s = await stack.enter_async_context(run_service(platform, intake))
        await stack.enter_async_context(run_service(platform, notifications))
        vault = Vault.from_settings(s.settings)
        coach = await platform.login("coach", "coach-anna")
        admin = await platform.login("admin", "admin-1")
        created = await s.client.post(
            "/participants",
            json={
                "name": NAME,
                "email": EMAIL,
                "phone": PHONE,
                "birth_date": "1962-04-30",
                "postcode": "7001 BC",
                "situation": "looking_for_work",
                "target_groups": ["woman", "age_45_plus"],
                "consents": ["matching", "email_contact"],
            },
            headers=coach,
        )
        pid = created.json()["id"]
        await s.client.patch(
            f"/participants/{pid}", json={"email": "w.o@voorbeeld.nl", "situation": "student"}, headers=coach
        )
        await s.client.post(f"/participants/{pid}/notes", json={"text": f"{NAME} belt terug op {PHONE}"}, headers=coach)
        await s.client.post(f"/participants/{pid}/trajectory", json={"status": "active"}, headers=coach)
        read_back = (await s.client.get(f"/participants/{pid}", headers=coach)).json()
        notes = [e["note"] for e in (await s.client.get(f"/participants/{pid}/timeline", headers=coach)).json()]
        imported = await s.client.post(
            "/imports/participants",
            content=CSV.encode(),
            headers={**admin, "content-type": "text/csv"},
        )
        assert imported.json()["imported"] == 2
        listed = (await s.client.get("/participants", headers=admin)).json()["items"]
        twin = next(p["id"] for p in listed if p["name"] == NAME and p["id"] != pid)
        sealed_name = (
            await fetch(platform, "SELECT name_sealed FROM intake.participants WHERE id = $1", uuid.UUID(pid))
        )[0]["name_sealed"]
        before = await everything_intake_holds(platform)
        files_before, wal_before = await files.read()

        for participant_id in (pid, twin):
            erased = await s.client.delete(f"/participants/{participant_id}", headers=admin)
            assert erased.status_code == 204, erased.text
        again = await s.client.delete(f"/participants/{pid}", headers=admin)
        read = await s.client.get(f"/participants/{pid}", headers=admin)
        types = await event_types(platform)
        streams = await everything_streams_hold(platform)
        held = await everything_intake_holds(platform)
        files_after, wal_after = await files.read()
        keys_left = await fetch(platform, "SELECT participant_id, wrapped_key FROM intake.participant_keys")
        audit = await fetch(
            platform, "SELECT participant_id::text, requested_by FROM intake.erasures ORDER BY erased_at"
        )

    # Before erasure everything reads back through the API, and nothing is plain text at rest.
    assert {k: read_back[k] for k in ("name", "email", "phone", "birth_date", "postcode")} == {
        "name": NAME,
        "email": "w.o@voorbeeld.nl",
        "phone": PHONE,
        "birth_date": "1962-04-30",
        "postcode": "7001 BC",
    }
    assert f"{NAME} belt terug op {PHONE}" in notes
    assert sealed_name in wal_before, "the files read are the ones the sealed name was written to"
    for personal in [*PERSONAL, b"w.o@voorbeeld.nl", b"ander@example.nl"]:
        assert personal.decode() not in before, personal
        assert personal not in files_before, personal
        assert personal not in wal_before, personal
    # After: gone from every table, stream, data file and WAL segment; the ciphertext still in the
    # WAL opens with none of the keys left, because the person's own key row is gone.
    assert again.status_code == 410
    assert "already erased" in again.json()["detail"]
    assert read.status_code == 410
    assert "was erased" in read.json()["detail"]
    assert types.count("participant.erased") == 2
    for personal in [*PERSONAL, b"w.o@voorbeeld.nl"]:
        assert personal not in streams, personal
        assert personal.decode() not in held, personal
        assert personal not in files_after, personal
        assert personal not in wal_after, personal
    assert sealed_name in wal_after
    assert {str(k["participant_id"]) for k in keys_left}.isdisjoint({pid, twin})
    assert len(keys_left) == 1, "the other person in the file keeps their key"
    for key in keys_left:
        with pytest.raises(Unreadable):
            vault.unwrap(key["participant_id"], key["wrapped_key"]).open("name", sealed_name)
    with pytest.raises(Unreadable):  # nor does another person's key under the pseudonym of the erased one
        vault.unwrap(uuid.UUID(pid), keys_left[0]["wrapped_key"])
    assert [tuple(r) for r in audit] == [(pid, "admin-1"), (twin, "admin-1")]


async def test_a_participant_erases_themself_and_the_audit_keeps_no_account_id(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        me = platform.auth("participant", "account-wilhelmina")  # signed in; registering makes the account
        created = await s.client.post(
            "/participants/me", json={"name": NAME, "email": EMAIL, "situation": "other"}, headers=me
        )
        pid = created.json()["id"]
        erased = await s.client.delete("/participants/me", headers=me)
        assert erased.status_code == 204, erased.text
        gone = await s.client.get("/participants/me", headers=me)
        events = await published(platform)
        held = await everything_intake_holds(platform)
    assert gone.status_code == 403, "the account went with the person"
    assert "no Regionet account" in gone.json()["detail"]
    assert [e["type"] for e in events] == [
        "participant.registered",
        "account.activated",
        "account.removed",
        "participant.erased",
    ]
    assert events[3]["data"] == {"participant_id": pid}
    assert NAME not in held
    assert EMAIL not in held
    assert "account-wilhelmina" not in held
