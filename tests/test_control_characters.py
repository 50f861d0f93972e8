"""Control characters in anything a client sends get a 422 naming the field, and change nothing."""

from __future__ import annotations

import asyncpg

from services.intake.app import definition as intake
from services.vouchers.app import definition as vouchers
from tests.support.platform import Platform, run_service


async def _count(platform: Platform, table: str) -> int:
    conn = await asyncpg.connect(platform.admin_dsn)
    try:
        n: int = await conn.fetchval(f"SELECT count(*) FROM {table}")
        return n
    finally:
        await conn.close()


async def test_a_nul_in_any_text_field_or_filter_is_refused_naming_the_field(platform: Platform) -> None:
    coach = await platform.login("coach", "coach-1")
    async with run_service(platform, intake) as s:
        cases = [
            (
                s.client.post("/participants", json={"name": "Nul\u0000Byte", "situation": "student"}, headers=coach),
                "name",
            ),
            (
                s.client.post(
                    "/participants",
                    json={"name": "Ok", "situation": "student", "skills": ["lassen", "tig\u0007"]},
                    headers=coach,
                ),
                "skills.1",
            ),
            (s.client.get("/participants?postcode_area=12%0034", headers=coach), "query.postcode_area"),
            (s.client.get("/participants/abc%00def", headers=coach), "path"),
        ]
        for request, field in cases:
            answer = await request
            assert answer.status_code == 422, answer.text
            assert answer.json()["errors"][0]["field"] == field
            assert "control character" in answer.json()["detail"]
        assert await _count(platform, "intake.participants") == 0
        assert await platform.stream_messages("INTAKE") == []

    async with run_service(platform, vouchers) as s:
        officer = await platform.login("programme_officer", "officer-1")
        answer = await s.client.get("/applications?status=a%00b", headers=officer)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "query.status"
        hot = await s.client.post(
            "/programmes/00000000-0000-0000-0000-000000000000/applications",
            json={"participant_id": "00000000-0000-0000-0000-000000000001", "course_id": "x\u0000"},
            headers=coach,
        )
        assert hot.status_code == 422, hot.text
        assert hot.json()["errors"][0]["field"] == "course_id"


async def test_lines_and_tabs_stay_allowed_in_text(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        answer = await s.client.post(
            "/participants",
            json={"name": "Anna\tde Boer", "situation": "student"},
            headers=await platform.login("coach", "coach-1"),
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["name"] == "Anna\tde Boer"


async def test_an_oversized_json_body_is_refused_before_it_is_read(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        answer = await s.client.post(
            "/participants",
            content=b'{"name": "' + b"a" * (2 * 1024 * 1024) + b'"}',
            headers={**await platform.login("coach", "coach-1"), "content-type": "application/json"},
        )
        assert answer.status_code == 413
        assert await _count(platform, "intake.participants") == 0


async def test_a_json_body_nested_too_deeply_is_refused_not_a_server_error(platform: Platform) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    async with run_service(platform, intake) as i, run_service(platform, vouchers) as v:
        answers = [
            await i.client.post(
                "/participants",
                content=deep,
                headers={**await platform.login("coach", "coach-1"), "content-type": "application/json"},
            ),
            await v.client.post(  # a hot route, served without FastAPI
                "/programmes/00000000-0000-0000-0000-000000000000/applications",
                content=deep,
                headers={**await platform.login("participant", "p-1"), "content-type": "application/json"},
            ),
        ]
    for answer in answers:
        assert answer.status_code == 422, answer.text
        [error] = answer.json()["errors"]
        assert error["field"] == "body"
        assert "nested too deeply" in error["message"]
    assert await _count(platform, "intake.participants") == 0
