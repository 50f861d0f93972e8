"""Officers' notes kept before they had a column of their own: the migration moves them out of ``reason``."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import asyncpg

from services.vouchers.app import definition
from shared.auth import Role
from shared.db.migrations import migrate, service_migrations_dir
from tests.support.platform import Platform, run_service

NOTE = "Belde 3 maart: mevrouw Jansen heeft geen diploma"


async def test_a_note_an_earlier_version_kept_as_the_reason_becomes_an_officers_note(
    platform: Platform, tmp_path: Path
) -> None:
    earlier = tmp_path / "migrations"
    earlier.mkdir()
    for file in [
        *service_migrations_dir("vouchers").glob("00[1-5]_*.sql"),
        service_migrations_dir("vouchers") / "R_functions.sql",
    ]:
        shutil.copy(file, earlier / file.name)
    programme, person = uuid.uuid4(), uuid.uuid4()
    # As the earlier version stored them: a rejection with a note, one with only a code, and a clawback.
    kept = {
        uuid.uuid4(): ("rejected", NOTE),
        uuid.uuid4(): ("rejected", "deadweight"),
        uuid.uuid4(): ("clawed_back", "lijst ingetrokken"),
    }
    conn = await asyncpg.connect(platform.dsn("vouchers"))
    try:
        await migrate(conn, "vouchers", folder=earlier, region=platform.region)
        await conn.execute(
            "INSERT INTO programmes (id, region, name, mode, opens_at, closes_at, redeem_by, auto_approve,"
            " max_vouchers_per_person, attendance_threshold_pct, below_threshold, seed, seed_commitment, created_by)"
            " VALUES ($1, $2, 'Regeling', 'fcfs', now(), now() + interval '1 month', now() + interval '1 year', false,"
            " 3, 80, 'reject', 's', 'c', 'officer-1')",
            programme,
            platform.region,
        )
        await conn.execute(
            "INSERT INTO categories (programme_id, code, name, position, voucher_amount_cents, eligible_situations,"
            " budget_cents, available_cents) VALUES ($1, 'c', 'Categorie', 0, 100000, '{}', 1000000, 1000000)",
            programme,
        )
        await conn.executemany(
            "INSERT INTO applications (id, programme_id, category, participant_id, course_id, provider_id,"
            " amount_cents, submitted_by_role, initial_status, status, reason)"
            " VALUES ($1, $2, 'c', $3, $4, $4, 100000, 'participant', 'submitted', $5, $6)",
            [(a, programme, person, uuid.uuid4(), status, reason) for a, (status, reason) in kept.items()],
        )
    finally:
        await conn.close()

    async with run_service(platform, definition) as service:
        await platform.enrol_all(
            [(Role.PROGRAMME_OFFICER, "officer-1", "officer-1"), (Role.PARTICIPANT, "p-1", str(person))]
        )
        officer, participant = platform.auth("programme_officer", "officer-1"), platform.auth("participant", "p-1")
        seen = {a: (await service.client.get(f"/applications/{a}", headers=officer)).json() for a in kept}
        theirs = await service.client.get("/applications", headers=participant)
    noted, coded, clawed = kept
    assert (seen[noted]["reason"], seen[noted]["officer_note"]) == ("other", NOTE), "its code was lost: 'other'"
    assert (seen[coded]["reason"], seen[coded]["officer_note"]) == ("deadweight", None), "a code stays"
    assert (seen[clawed]["reason"], seen[clawed]["officer_note"]) == (None, "lijst ingetrokken")
    assert theirs.status_code == 200, theirs.text
    assert {(a["reason"], a["officer_note"]) for a in theirs.json()} == {
        ("other", None),
        ("deadweight", None),
        (None, None),
    }
    assert "Jansen" not in theirs.text
