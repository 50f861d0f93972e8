"""The region plan and the fairness report over HTTP, for programme officers."""

from __future__ import annotations

from collections import Counter

from services.matching.tests.conftest import World
from shared.events.contracts.intake import TargetGroup


async def test_the_plan_respects_every_capacity_and_explains_each_assignment(world: World) -> None:
    first = await world.opportunity(places_total=1)
    second = await world.opportunity(places_total=1, title="Tweede")
    people = [await world.candidate() for _ in range(3)]
    answer = await world.client.post("/plans?lang=en", headers=world.officer())
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert (plan["candidates"], plan["places"], plan["unassigned"]) == (3, 2, 1)
    assert Counter(a["opportunity_id"] for a in plan["assigned"]) == {first["id"]: 1, second["id"]: 1}
    assert {a["participant_id"] for a in plan["assigned"]} <= {str(p) for p in people}
    assert all("essential skills" in a["explanation"] for a in plan["assigned"])
    assert abs(sum(a["score"] for a in plan["assigned"]) - plan["total_score"]) < 0.05
    assert (await world.client.post("/plans", headers=world.coach())).status_code == 403


async def test_a_place_reserved_for_a_target_group_is_shown_as_such(world: World) -> None:
    opportunity = await world.opportunity(places_total=1)
    await world.candidate(skills=["tig-welding", "mag-welding", "read-technical-drawings", "measure-precision"])
    member = await world.candidate(target_groups=[TargetGroup.WOMAN])
    body = {"reserved": [{"opportunity_id": opportunity["id"], "target_group": "woman", "places": 1}]}
    plan = (await world.client.post("/plans", json=body, headers=world.officer())).json()
    [assignment] = plan["assigned"]
    assert assignment["participant_id"] == str(member)
    assert assignment["reserved_for"] == "woman"
    assert plan["reserved"] == body["reserved"]
    bad = {"reserved": [{"opportunity_id": opportunity["id"], "target_group": "left-handed", "places": 1}]}
    assert (await world.client.post("/plans", json=bad, headers=world.officer())).status_code == 422


async def test_the_fairness_report_counts_per_group_and_hides_small_cells(world: World) -> None:
    opportunity = await world.opportunity(places_total=30)
    women = [await world.candidate(target_groups=[TargetGroup.WOMAN]) for _ in range(10)]
    few = [await world.candidate(target_groups=[TargetGroup.REFUGEE_WITH_PERMIT]) for _ in range(3)]
    for _ in range(10):
        await world.candidate()
    proposal = (await world.propose(women[0], opportunity)).json()
    await world.client.post(f"/proposals/{proposal['id']}/interested", headers=world.coach())
    answer = await world.client.get("/fairness", headers=world.officer())
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["eligible_pool"] == 23
    rows = {r["group"]: r for r in report["rows"]}
    assert rows["woman"]["people"] == 10
    assert rows["woman"]["proposals_per_100"] == 10.0
    assert rows["woman"]["top10_share"] is not None
    assert rows["refugee_with_permit"]["people"] is None
    assert rows["refugee_with_permit"]["proposals_per_100"] is None
    assert str(few[0]) not in answer.text
    assert (await world.client.get("/fairness", headers=world.coach())).status_code == 403
