"""Budget changes and moves are bounded like programme creation: too large or zero is a 422 that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from services.vouchers.domain import MAX_CATEGORY_BUDGET_CENTS
from services.vouchers.tests.conftest import World

HUGE = 4611686018427387904  # the value that used to be accepted, then overflowed on the next call


async def _ledger(world: World, programme: dict[str, Any]) -> list[dict[str, Any]]:
    answer = await world.client.get(f"/programmes/{programme['id']}/ledger", headers=world.officer())
    entries: list[dict[str, Any]] = answer.json()["entries"]
    return entries


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("budget-changes", {"category": "werk_in_techniek", "delta_cents": HUGE, "reason": "too much"}, "delta_cents"),
        ("budget-changes", {"category": "werk_in_techniek", "delta_cents": -HUGE, "reason": "too much"}, "delta_cents"),
        ("budget-changes", {"category": "werk_in_techniek", "delta_cents": 0, "reason": "nothing"}, "delta_cents"),
        (
            "budget-moves",
            {"from_category": "zzp_techniek", "to_category": "werk_in_techniek", "amount_cents": HUGE, "reason": "x"},
            "amount_cents",
        ),
    ],
)
async def test_an_out_of_range_budget_change_is_refused_and_changes_nothing(
    world: World, path: str, body: dict[str, Any], field: str
) -> None:
    programme = await world.create_programme()
    before = await _ledger(world, programme)
    for _ in range(2):  # the second call used to answer 500
        answer = await world.client.post(f"/programmes/{programme['id']}/{path}", json=body, headers=world.officer())
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == field
    assert await _ledger(world, programme) == before


async def test_a_raise_past_the_largest_category_budget_is_refused_naming_the_limit(world: World) -> None:
    programme = await world.create_programme()
    before = await _ledger(world, programme)
    body = {"category": "werk_in_techniek", "delta_cents": MAX_CATEGORY_BUDGET_CENTS, "reason": "a fortune"}
    answer = await world.client.post(
        f"/programmes/{programme['id']}/budget-changes", json=body, headers=world.officer()
    )
    assert answer.status_code == 422, answer.text
    assert str(MAX_CATEGORY_BUDGET_CENTS) in answer.json()["detail"]
    assert await _ledger(world, programme) == before
