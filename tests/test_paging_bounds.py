"""Paging numbers too large for the database get a 422, never a 500."""

from __future__ import annotations

import pytest

from services.intake.app import definition as intake
from services.vouchers.app import definition as vouchers
from shared.service import ServiceDefinition
from tests.support.platform import Platform, run_service

HUGE = "9223372036854775808"  # one past Postgres's bigint

CASES = [
    (intake, "admin", f"/employers?offset={HUGE}", "offset"),
    (intake, "admin", "/employers?offset=1000001", "offset"),
    (intake, "coach", f"/participants?after={HUGE}", "after"),
    (vouchers, "programme_officer", f"/applications?offset={HUGE}", "offset"),
    (vouchers, "programme_officer", f"/vouchers?offset={HUGE}", "offset"),
    (
        vouchers,
        "programme_officer",
        f"/programmes/00000000-0000-0000-0000-000000000000/ledger?after_seq={HUGE}",
        "after_seq",
    ),
]


@pytest.mark.parametrize(("definition", "role", "path", "field"), CASES, ids=[c[2] for c in CASES])
async def test_a_paging_number_out_of_range_is_refused_naming_it(
    platform: Platform, definition: ServiceDefinition, role: str, path: str, field: str
) -> None:
    async with run_service(platform, definition) as s:
        answer = await s.client.get(path, headers=await platform.login(role, f"{role}-1"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == f"query.{field}"


async def test_the_largest_cursor_is_still_answered(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        answer = await s.client.get(
            "/participants?after=9223372036854775807", headers=await platform.login("coach", "c-1")
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"] == []
