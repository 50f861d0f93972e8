"""The region plan and the fairness report over HTTP, for programme officers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from services.matching.db import reports
from services.matching.handlers.fairness import measure, raise_flags
from services.matching.handlers.plans import due_night
from services.matching.housekeeping import nightly
from services.matching.settings import MatchingSettings
from services.matching.tests.conftest import World
from services.matching.tests.test_web_office import sign_in
from shared.events.contracts.intake import TargetGroup
from shared.events.contracts.matching import FairnessFlagged, PlanMade

REGION = ZoneInfo("Europe/Amsterdam")


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


async def test_a_region_wide_quota_is_applied_shown_and_checked(world: World) -> None:
    await world.opportunity(places_total=2)
    await world.candidate(skills=["tig-welding", "mag-welding", "read-technical-drawings", "measure-precision"])
    await world.candidate(skills=["tig-welding", "mag-welding", "read-technical-drawings", "measure-precision"])
    member = await world.candidate(skills=["tig-welding"], target_groups=[TargetGroup.AGE_45_PLUS])
    body = {"quotas": [{"target_group": "age_45_plus", "share": 0.5}]}
    plan = (await world.client.post("/plans", json=body, headers=world.officer())).json()
    assert plan["quotas"] == [{"target_group": "age_45_plus", "places": None, "share": 0.5, "wanted": 1, "met": 1}]
    counted = [a for a in plan["assigned"] if a["quota_for"] == "age_45_plus"]
    assert [a["participant_id"] for a in counted] == [str(member)]
    assert len(plan["assigned"]) == 2
    for bad in (
        {"quotas": [{"target_group": "age_45_plus", "places": 1, "share": 0.5}]},
        {"quotas": [{"target_group": "age_45_plus"}]},
        {"quotas": [{"target_group": "woman", "places": 1}, {"target_group": "woman", "share": 0.1}]},
        {"quotas": [{"target_group": "woman", "share": 1.5}]},
    ):
        answer = await world.client.post("/plans", json=bad, headers=world.officer())
        assert answer.status_code == 422, bad


async def test_the_nightly_plan_is_made_once_kept_for_coaches_and_officers_and_told_without_personal_data(
    world: World,
) -> None:
    assert (await world.client.get("/plans/latest", headers=world.officer())).status_code == 404
    await world.opportunity(places_total=3)
    mine = [await world.candidate(target_groups=[TargetGroup.WOMAN]) for _ in range(2)]
    theirs = await world.candidate(coach="coach-2")
    policy = {"quotas": [{"target_group": "woman", "places": 1}]}
    assert (await world.client.put("/plans/policy", json=policy, headers=world.coach())).status_code == 403
    assert (await world.client.put("/plans/policy", json={"quotas": [{}]}, headers=world.officer())).status_code == 422
    assert (await world.client.get("/plans/policy", headers=world.officer())).json()["quotas"] == []
    assert (await world.client.put("/plans/policy", json=policy, headers=world.officer())).status_code == 200
    assert (await world.client.get("/plans/policy", headers=world.officer())).json()["set_by"] == "officer-1"

    # Tomorrow's 02:00 in the region (a night after the real one, so the service's own loop never catches up).
    started = dt.datetime.now(dt.UTC)
    moment = dt.datetime.combine(started.astimezone(REGION).date() + dt.timedelta(days=1), dt.time(2), REGION)
    assert await nightly(world.runtime, moment - dt.timedelta(minutes=1), started) is None
    night = moment + dt.timedelta(minutes=5)
    made = await asyncio.gather(*(nightly(world.runtime, night, started) for _ in range(3)))  # three replicas
    assert len([m for m in made if m is not None]) == 1
    assert await nightly(world.runtime, night + dt.timedelta(hours=1), started) is None  # once a night

    everything = (await world.client.get("/plans/latest?lang=en", headers=world.officer())).json()
    assert everything["night"] == moment.date().isoformat()
    assert {a["participant_id"] for a in everything["assigned"]} == {*map(str, mine), str(theirs)}
    assert everything["quotas"][0]["met"] == 1
    assert sum(1 for a in everything["assigned"] if a["quota_for"] == "woman") == 1
    assert all("essential skills" in a["explanation"] for a in everything["assigned"])
    caseload = (await world.client.get("/plans/latest?lang=de", headers=world.coach("coach-2"))).json()
    assert [a["participant_id"] for a in caseload["assigned"]] == [str(theirs)]
    assert "wesentlichen" in caseload["assigned"][0]["explanation"]
    assert (await world.client.get("/plans/latest", headers=world.employer_user())).status_code == 403

    await sign_in(world, "officer-1")
    shown = (await world.client.get("/officer/plan?lang=en")).text
    assert "Last night&#39;s plan" in shown or "Last night's plan" in shown, "the officer's page shows the kept plan"
    assert "Quota Women" in shown
    assert "1 of 1 places" in shown
    assert shown.count("counts towards the quota Women") == 1

    await world.erase(mine[0])
    await world.withdraw_consent(mine[1])
    left = (await world.client.get("/plans/latest", headers=world.officer())).json()
    assert [a["participant_id"] for a in left["assigned"]] == [str(theirs)]

    told = [e for e in await world.events(2) if e.type == "plan.made"]
    assert len(told) == 1
    made_event = told[0].parse(PlanMade)
    assert (made_event.assigned, made_event.quotas_met) == (3, {"woman": 1})
    raw = told[0].model_dump_json()
    assert not any(str(p) in raw for p in (*mine, theirs))


def test_the_nightly_plan_is_due_once_the_moment_passed_while_running_or_to_catch_up_a_missed_night() -> None:
    settings = MatchingSettings(plan_at="02:00", timezone="Europe/Amsterdam")
    started = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)
    before = dt.datetime(2026, 5, 4, 23, 59, tzinfo=dt.UTC)  # 01:59 on the 5th in the region
    after = dt.datetime(2026, 5, 5, 0, 1, tzinfo=dt.UTC)  # 02:01
    assert due_night(settings, before, started, None) is None
    assert due_night(settings, after, started, None) == dt.date(2026, 5, 5)
    assert due_night(settings, after, started, dt.date(2026, 5, 5)) is None
    assert due_night(settings, after, after, None) is None  # a fresh start waits for the next moment ...
    assert due_night(settings, after, after, dt.date(2026, 5, 2)) == dt.date(2026, 5, 5)  # ... unless it catches up
    with pytest.raises(ValueError, match="HH:MM"):
        MatchingSettings.load({"REGIONET_MATCHING_PLAN_AT": "25:00"})
    with pytest.raises(ValueError, match="timezone"):
        MatchingSettings.load({"REGIONET_MATCHING_TIMEZONE": "Mars/Olympus"})


async def test_a_candidate_saying_no_is_not_an_employer_answer_in_the_acceptance(world: World) -> None:
    first, second = await world.opportunity(), await world.opportunity(title="Tweede")
    participant = await world.candidate()
    said_no = (await world.propose(participant, first)).json()
    taken = (await world.propose(participant, second)).json()
    for proposal, step, body in (
        (said_no, "decline", {"reason": "candidate_declined"}),
        (taken, "interested", None),
    ):
        answer = await world.client.post(f"/proposals/{proposal['id']}/{step}", json=body, headers=world.coach())
        assert answer.status_code == 200, answer.text
    async with world.runtime.pool.acquire() as conn:
        [row] = await reports.outcomes(conn)
    assert (row["proposals"], row["answered"], row["accepted"]) == (2, 1, 1)


async def test_a_group_falling_below_four_fifths_is_told_to_officers_once_a_month(world: World) -> None:
    await world.opportunity(places_total=5)
    for _ in range(20):
        await world.candidate()
    for _ in range(10):  # eligible, but never among the ten best: fewer of the essential skills
        await world.candidate(skills=["tig-welding"], target_groups=[TargetGroup.AGE_45_PLUS])
    report = (await world.client.get("/fairness", headers=world.officer())).json()
    [older] = [r for r in report["rows"] if r["group"] == "age_45_plus"]
    assert older["flagged"] == ["top10_share"]
    assert (await world.client.get("/fairness", headers=world.officer())).status_code == 200
    now = dt.datetime.now(dt.UTC)
    async with world.runtime.uow() as uow:  # the nightly run, the same month
        _, rows = await measure(world.runtime, now.date())
        assert await raise_flags(uow, rows, now, REGION) == []
        next_month = await raise_flags(uow, rows, now + dt.timedelta(days=32), REGION)
        assert next_month == ["age_45_plus"]
    flags = [e.parse(FairnessFlagged) for e in await world.events(2) if e.type == "fairness.flagged"]
    assert [(f.group, f.metrics, f.people) for f in flags] == [("age_45_plus", ["top10_share"], 10)]
    assert flags[0].ratios["top10_share"] == 0.0
