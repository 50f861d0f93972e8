"""Opportunities over HTTP: publishing on an employer's behalf, changing, closing; bad input changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from services.matching.tests.conftest import World, opportunity_body
from shared.events.contracts.matching import OpportunityPublished


async def test_a_coach_publishes_a_bbl_place_on_an_employers_behalf_and_it_is_announced(world: World) -> None:
    created = await world.opportunity()
    assert created["employer_id"] == str(world.employer)
    assert created["status"] == "open"
    assert created["status_reason"] is None
    assert created["places_left"] == 2
    assert created["postcode"] == "6511AB"
    assert "tig-welding" in created["essential_skills"]  # the occupation's skills when none are given
    [envelope] = await world.events(1)
    published = envelope.parse(OpportunityPublished)
    assert str(published.opportunity_id) == created["id"]
    assert published.crebo == "25244"
    assert published.postcode_area == "NL-6511"
    assert published.created_by_role == "coach"
    assert "BBL lasser" not in envelope.model_dump_json()  # no typed text in events


async def test_bad_opportunities_are_refused_with_a_reason_and_nothing_is_stored(world: World) -> None:
    bad: list[dict[str, Any]] = [
        opportunity_body(world.employer, crebo=None),  # a BBL place names its qualification
        opportunity_body(world.employer, recognition_checked_on=None),  # a recognition says when it was checked
        opportunity_body(world.employer, postcode="0000"),  # no such area
        opportunity_body(world.employer, country="DE", postcode="6511"),
        opportunity_body(world.employer, occupation="astronaut"),
        opportunity_body(world.employer, essential_skills=["juggling"]),
        opportunity_body(world.employer, essential_skills=["tig-welding"], optional_skills=["tig-welding"]),
        opportunity_body(world.employer, hours=0),
        opportunity_body(world.employer, start_date="9999-12-31"),
        opportunity_body(uuid.uuid4()),  # an employer matching has never heard of
        {k: v for k, v in opportunity_body(world.employer).items() if k != "employer_id"},  # staff must name one
    ]
    for body in bad:
        answer = await world.client.post("/opportunities", json=body, headers=world.coach())
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"]
    listed = await world.client.get("/opportunities", headers=world.admin())
    assert listed.json() == []


async def test_roles_that_do_not_publish_are_refused_and_an_employer_needs_its_account(world: World) -> None:
    body = opportunity_body(world.employer)
    for role in ("participant", "provider"):
        answer = await world.client.post("/opportunities", json=body, headers=world.platform.auth(role, "someone"))
        assert answer.status_code == 403
    # An employer token whose account names no employer (the accounts registry does that) may not publish.
    answer = await world.client.post("/opportunities", json=body, headers=world.platform.auth("employer", "emp-1"))
    assert answer.status_code == 403


async def test_a_change_confirms_the_opportunity_and_capacity_never_drops_below_what_is_held(world: World) -> None:
    created = await world.opportunity(places_total=1)
    participant = await world.candidate()
    assert (await world.propose(participant, created)).status_code == 201
    path = f"/opportunities/{created['id']}"
    too_small = await world.client.patch(path, json={"places_total": 0}, headers=world.coach())
    assert too_small.status_code == 422
    cleared = await world.client.patch(path, json={"title": None}, headers=world.coach())
    assert cleared.status_code == 422
    no_crebo = await world.client.patch(path, json={"crebo": None}, headers=world.coach())
    assert no_crebo.status_code == 422
    changed = await world.client.patch(path, json={"places_total": 3, "hours": 36}, headers=world.coach())
    assert changed.status_code == 200, changed.text
    assert changed.json()["places_left"] == 2
    assert changed.json()["hours"] == 36
    unchanged = await world.get_opportunity(created)
    assert unchanged["title"] == "BBL lasser"
    assert unchanged["crebo"] == "25244"


async def test_closing_withdraws_the_proposals_that_hold_a_place(world: World) -> None:
    created = await world.opportunity()
    participant = await world.candidate()
    proposal = (await world.propose(participant, created)).json()
    closed = await world.client.post(f"/opportunities/{created['id']}/close", headers=world.coach())
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["places_held"] == 0
    after = await world.client.get(f"/proposals/{proposal['id']}", headers=world.coach())
    assert after.json()["status"] == "withdrawn"
    assert after.json()["reason"] == "opportunity_closed"
    again = await world.client.patch(f"/opportunities/{created['id']}", json={"hours": 20}, headers=world.coach())
    assert again.status_code == 409
    listed = await world.client.get("/opportunities", headers=world.coach())
    assert listed.json() == []
    with_closed = await world.client.get("/opportunities?include_closed=true", headers=world.coach())
    assert [o["id"] for o in with_closed.json()] == [created["id"]]
