"""The lottery: reproducible from its published seed, fair within quotas, never over budget."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.vouchers import lottery
from services.vouchers.lottery import DrawInput, Entry, draw, rerun
from services.vouchers.tests.conftest import NOW, VOUCHER, World
from shared.events.contracts.intake import Situation, TargetGroup


def applicants(n: int, group_every: int = 4) -> tuple[Entry, ...]:
    return tuple(
        Entry(
            application_id=str(uuid.UUID(int=i + 1)),
            category="werk_in_techniek",
            amount_cents=VOUCHER,
            target_groups=("woman",) if i % group_every == 0 else (),
        )
        for i in range(n)
    )


def test_same_seed_and_applicants_give_the_same_draw_and_another_seed_another() -> None:
    entries = applicants(200)
    one = draw(DrawInput(seed="abc", entries=entries, budgets={"werk_in_techniek": 50 * VOUCHER}))
    again = draw(DrawInput(seed="abc", entries=tuple(reversed(entries)), budgets={"werk_in_techniek": 50 * VOUCHER}))
    other = draw(DrawInput(seed="abd", entries=entries, budgets={"werk_in_techniek": 50 * VOUCHER}))
    assert one == again, "the order in which applications arrived must not matter"
    assert one.funded != other.funded
    assert len(one.funded) == 50


def test_quota_sets_money_aside_for_a_target_group() -> None:
    entries = applicants(400, group_every=10)  # 40 of 400 declared the group
    budgets = {"werk_in_techniek": 100 * VOUCHER}
    without = draw(DrawInput(seed="s", entries=entries, budgets=budgets))
    with_quota = draw(DrawInput(seed="s", entries=entries, budgets=budgets, quotas={"woman": 30}))
    group = {e.application_id for e in entries if e.target_groups}
    assert len(group & set(with_quota.funded)) >= 30
    assert len(group & set(with_quota.funded)) > len(group & set(without.funded))
    assert len(with_quota.funded) == 100


def test_weights_give_a_group_better_odds_over_many_draws() -> None:
    entries = applicants(100, group_every=2)
    group = {e.application_id for e in entries if e.target_groups}
    wins = [0, 0]
    for seed in range(40):
        result = draw(
            DrawInput(seed=str(seed), entries=entries, budgets={"werk_in_techniek": 20 * VOUCHER}, weights={"woman": 3})
        )
        wins[0] += len(group & set(result.funded))
        wins[1] += len(set(result.funded) - group)
    assert wins[0] > 2 * wins[1]


@given(
    seed=st.text(min_size=1, max_size=20),
    amounts=st.lists(st.integers(1, 5 * VOUCHER), min_size=0, max_size=60),
    budget=st.integers(0, 60 * VOUCHER),
    quota=st.integers(0, 100),
)
def test_a_draw_never_exceeds_the_budget_and_ranks_everyone_once(
    seed: str, amounts: list[int], budget: int, quota: int
) -> None:
    entries = tuple(
        Entry(str(uuid.UUID(int=i + 1)), "c", a, ("woman",) if i % 3 == 0 else ()) for i, a in enumerate(amounts)
    )
    quotas = {"woman": quota} if quota else {}
    result = draw(DrawInput(seed=seed, entries=entries, budgets={"c": budget}, quotas=quotas))
    amount = {e.application_id: e.amount_cents for e in entries}
    assert sum(amount[a] for a in result.funded) <= budget
    assert sorted(result.order) == sorted(amount)
    assert set(result.funded) | set(result.waitlist) == set(amount)
    assert not set(result.funded) & set(result.waitlist)
    # Nobody left waiting could still have been funded from what is left.
    left = budget - sum(amount[a] for a in result.funded)
    assert all(amount[a] > left for a in result.waitlist)


async def test_lottery_programme_draws_at_close_publishes_seed_and_draw_and_anyone_can_rerun_it(
    world: World,
) -> None:
    programme = await world.create_programme(
        mode="lottery",
        quotas={TargetGroup.AGE_45_PLUS.value: 20},
        categories=[
            {
                "code": "werk_in_techniek",
                "name": "Ik werk in de techniek",
                "voucher_amount_cents": VOUCHER,
                "budget_cents": 10 * VOUCHER,
                "eligible_situations": [Situation.WORKING_IN_TECH.value],
            }
        ],
        budget_cents=10 * VOUCHER,
    )
    older = await world.participants(5, target_groups=[TargetGroup.AGE_45_PLUS, TargetGroup.WOMAN])
    others = await world.participants(25, target_groups=[TargetGroup.WOMAN])
    for person in older + others:
        answer = await world.apply(programme, person)
        assert answer.status_code == 201
        assert (answer.json()["status"], answer.json()["reserved"]) == ("submitted", False)

    early = await world.client.post(f"/programmes/{programme['id']}/draw", headers=world.officer())
    assert early.status_code == 409
    assert "after the window closes" in early.json()["detail"]

    world.service.app.state.clock = lambda: NOW + timedelta(days=31)
    drawn = await world.client.post(f"/programmes/{programme['id']}/draw", headers=world.officer())
    assert drawn.status_code == 200, drawn.text
    again = await world.client.post(f"/programmes/{programme['id']}/draw", headers=world.officer())
    assert again.status_code == 409

    published = (await world.client.get(f"/programmes/{programme['id']}/draw", headers=world.as_provider())).json()
    assert lottery.seed_commitment(published["seed"]) == programme["seed_commitment"]
    published_groups = {g for e in published["entries"] for g in e["target_groups"]}
    assert published_groups == {TargetGroup.AGE_45_PLUS.value}, "only the groups the draw uses are published"
    result = rerun(json.loads(json.dumps(published)))
    assert list(result.order) == published["order"]
    assert list(result.funded) == published["funded"]
    assert len(result.funded) == 10
    assert len(set(result.funded) & {str(a) for a in await ids_of(world, older)}) >= 2, "the 20% quota"

    vouchers = (await world.client.get(f"/vouchers?programme_id={programme['id']}", headers=world.officer())).json()
    assert sorted(v["id"] for v in vouchers) == sorted(published["funded"])
    ledger = (await world.client.get(f"/programmes/{programme['id']}/ledger", headers=world.officer())).json()
    assert ledger["balanced"], ledger["problems"]

    # A cancelled voucher goes to the best-ranked waiting applicant.
    first_waiting = published["waitlist"][0]
    cancelled = await world.client.post(f"/applications/{published['funded'][0]}/cancel", headers=world.officer())
    assert cancelled.status_code == 200
    promoted = await world.client.get(f"/applications/{first_waiting}", headers=world.officer())
    assert promoted.json()["status"] == "voucher_issued"


async def ids_of(world: World, people: list[uuid.UUID]) -> list[uuid.UUID]:
    rows = await world.runtime.pool.fetch(
        "SELECT id FROM vouchers.applications WHERE participant_id = ANY($1::uuid[])", people
    )
    return [r["id"] for r in rows]
