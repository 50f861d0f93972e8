"""CSV import through the HTTP API: once per row, rejected rows explained, all or nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.intake.app import definition as intake
from services.intake.handlers import imports
from services.intake.tests.observe import event_types, fetch, table_counts
from tests.support.platform import Platform, run_service

DATA = Path(__file__).parent / "data"


async def test_a_messy_participant_file_sent_twice_imports_each_valid_row_once(platform: Platform) -> None:
    content = (DATA / "deelnemers_export.csv").read_bytes()
    async with run_service(platform, intake) as s:
        admin = {**await platform.login("admin", "admin-1"), "content-type": "text/csv"}
        first = await s.client.post("/imports/participants", content=content, headers=admin)
        assert first.status_code == 200, first.text
        second = await s.client.post("/imports/participants", content=content, headers=admin)
        types = await event_types(platform)
        rows = (await s.client.get("/participants", headers=admin)).json()["items"]
        consents = await fetch(platform, "SELECT DISTINCT source FROM intake.consent_records")

    answer = first.json()
    assert answer["imported"] == 4
    assert answer["already_imported"] == []
    assert [(r["line"], r["reason"].split(":")[0]) for r in answer["rejected"]] == [
        (5, "email"),
        (8, "postcode"),
        (9, "birth_date"),
        (10, "situation"),
        (
            11,
            (
                "declaring target groups needs consent for matching or anonymous reporting;"
                " record that consent first, or leave the target groups out"
            ),
        ),
    ]
    assert answer["ignored_columns"] == ["Opmerkingen"]
    assert second.json()["imported"] == 0
    assert second.json()["already_imported"] == [2, 3, 6, 13]
    assert [r["name"] for r in rows] == ["Sanne de Vries", "Mehmet Yilmaz", "Jürgen Müller", "Ingrid Smit; jr."]
    assert types.count("participant.registered") == 4
    assert types.count("participant.consent_given") == 5
    assert [c["source"] for c in consents] == ["import"]


async def test_the_same_file_sent_twice_at_the_same_moment_imports_each_row_once(platform: Platform) -> None:
    content = (DATA / "deelnemers_export.csv").read_bytes()
    async with run_service(platform, intake) as s:
        admin = {**await platform.login("admin", "admin-1"), "content-type": "text/csv"}
        answers = await asyncio.gather(
            *(s.client.post("/imports/participants", content=content, headers=admin) for _ in range(4))
        )
        types = await event_types(platform)
        rows = (await s.client.get("/participants", headers=admin)).json()["items"]
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert sum(a.json()["imported"] for a in answers) == 4, "each valid row once, whichever request got it"
    assert len(rows) == 4
    assert types.count("participant.registered") == 4


async def test_an_employer_file_skips_registered_kvk_numbers_and_lists_bad_rows(platform: Platform) -> None:
    content = (DATA / "werkgevers_export.csv").read_bytes()
    async with run_service(platform, intake) as s:
        admin = await platform.login("admin", "admin-1")
        existing = await s.client.post(
            "/employers",
            json={"kvk_number": "34567890", "name": "Café Techniek", "sector": "elektro", "employee_count": 12},
            headers=admin,
        )
        assert existing.status_code == 201
        first = await s.client.post("/imports/employers", content=content, headers=admin)
        second = await s.client.post("/imports/employers", content=content, headers=admin)
        types = await event_types(platform)
        contacts = await fetch(platform, "SELECT name FROM intake.employer_contacts ORDER BY name")
    assert first.status_code == 200, first.text
    assert (first.json()["imported"], first.json()["already_imported"]) == (2, [6])
    assert [r["line"] for r in first.json()["rejected"]] == [3, 7, 8]
    assert (second.json()["imported"], second.json()["already_imported"]) == (0, [2, 4, 6])
    assert types.count("employer.registered") == 3
    assert [c["name"] for c in contacts] == ["Henk Kuipers", "Ria Mulder"]


async def test_an_import_that_fails_halfway_leaves_nothing_behind(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = (DATA / "deelnemers_export.csv").read_bytes()
    real = imports.register_participant  # type: ignore[attr-defined]
    calls = 0

    async def failing_third_row(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("the database went away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(imports, "register_participant", failing_third_row)
    async with run_service(platform, intake) as s:
        admin = await platform.login("admin", "a")
        before = await table_counts(platform)
        response = await s.client.post("/imports/participants", content=content, headers=admin)
        assert response.status_code == 500
        assert "went away" not in response.text
        after = await table_counts(platform)
        types = await event_types(platform)
    assert calls == 3
    assert after == before
    assert types == []


async def test_bad_import_requests_answer_clearly_and_change_nothing(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        admin = await platform.login("admin", "admin-1")
        coach = await platform.login("coach", "c")
        before = await table_counts(platform)
        cases = [
            ("/imports/participants", b"", admin, 422, "The file cannot be imported: the file is empty"),
            ("/imports/participants", b"foo;bar\n1;2\n", admin, 422, "no column for naam"),
            ("/imports/employers", b"naam;situatie\nJan;student\n", admin, 422, "no column for kvk-nummer"),
            (
                "/imports/participants",
                b"naam;situatie\nJan;student\n",
                coach,
                403,
                "admin",
            ),
        ]
        for url, content, headers, status, words in cases:
            response = await s.client.post(url, content=content, headers=headers)
            assert response.status_code == status, response.text
            assert words in response.json()["detail"], response.text
        assert await table_counts(platform) == before
        assert await event_types(platform) == []


async def test_a_broken_file_answers_with_its_rejected_rows_not_an_error(platform: Platform) -> None:
    content = (
        b"naam;situatie\n"
        + b"B" * 140_000
        + b';student\n"Open;student\nAnna;student\nJa\x00n;student\nRen\x81\x8d;student\nKees;zoekt werk\n'
    )
    async with run_service(platform, intake) as s:
        admin = {**await platform.login("admin", "admin-1"), "content-type": "text/csv"}
        answer = await s.client.post("/imports/participants", content=content, headers=admin)
        rows = (await s.client.get("/participants", headers=admin)).json()["items"]
    assert answer.status_code == 200, answer.text
    assert answer.json()["imported"] == 2
    assert [r["line"] for r in answer.json()["rejected"]] == [2, 3, 5, 6]
    assert [r["name"] for r in rows] == ["Anna", "Kees"]
