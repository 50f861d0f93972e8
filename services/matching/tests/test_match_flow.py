"""The match flow over HTTP: every step an event, places held and released, erasure closing what is open."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.matching.housekeeping import sweep
from services.matching.tests.conftest import World
from shared.events.contracts.matching import ProposalMade, ProposalPlaced


async def step(world: World, proposal: dict[str, Any], name: str, body: dict[str, Any] | None = None) -> Any:
    return await world.client.post(f"/proposals/{proposal['id']}/{name}", json=body, headers=world.coach())


async def test_proposed_interested_interview_placed_retained_ended_each_an_event(world: World) -> None:
    opportunity = await world.opportunity()
    participant = await world.candidate()
    answer = await world.propose(participant, opportunity)
    assert answer.status_code == 201, answer.text
    proposal = answer.json()
    assert proposal["status"] == "proposed"
    assert proposal["holds_place"]
    assert "essentiële vaardigheden" in proposal["explanation"]
    assert proposal["weights_version"]
    assert (await world.get_opportunity(opportunity))["places_held"] == 1
    for name, body in (("interested", None), ("interview", None), ("placed", None)):
        answer = await step(world, proposal, name, body)
        assert answer.status_code == 200, (name, answer.text)
    after = await world.get_opportunity(opportunity)
    assert (after["places_held"], after["places_filled"]) == (0, 1)
    assert (await step(world, proposal, "retained", {"months": 6})).status_code == 409  # 3 months comes first
    assert (await step(world, proposal, "retained", {"months": 3})).status_code == 200
    assert (await step(world, proposal, "retained", {"months": 6})).status_code == 200
    ended = await step(world, proposal, "end", {"reason": "contract_ended"})
    assert ended.status_code == 200
    assert [s["status"] for s in ended.json()["steps"]] == [
        "proposed",
        "interested",
        "interview",
        "placed",
        "retained",
        "retained",
        "ended",
    ]
    assert (await world.get_opportunity(opportunity))["places_filled"] == 0
    envelopes = await world.events(8)
    types = [e.type for e in envelopes]
    assert (
        types
        == [
            "opportunity.published",
            "proposal.made",
            "proposal.interested",
            "proposal.interview_planned",
            "proposal.placed",
            "proposal.retained",
            "proposal.retained",
            "proposal.ended",
        ][: len(types)]
        or len(types) >= 8
    )
    made = next(e for e in envelopes if e.type == "proposal.made").parse(ProposalMade)
    assert made.participant_id == participant
    assert made.coach_id == "coach-1"
    placed = next(e for e in envelopes if e.type == "proposal.placed").parse(ProposalPlaced)
    assert placed.kind.value == "bbl"
    assert "lasser" not in " ".join(e.model_dump_json() for e in envelopes).lower()


async def test_steps_out_of_order_and_bad_reasons_are_refused_and_change_nothing(world: World) -> None:
    opportunity = await world.opportunity()
    proposal = (await world.propose(await world.candidate(), opportunity)).json()
    assert (await step(world, proposal, "placed")).status_code == 409
    assert (await step(world, proposal, "retained", {"months": 3})).status_code == 409
    assert (await step(world, proposal, "decline", {"reason": "too old"})).status_code == 422
    assert (await step(world, proposal, "withdraw", {"reason": "participant_erased"})).status_code == 422
    other_coach = await world.client.post(f"/proposals/{proposal['id']}/interested", headers=world.coach("coach-2"))
    assert other_coach.status_code == 404
    officer = await world.client.post(f"/proposals/{proposal['id']}/interested", headers=world.officer())
    assert officer.status_code == 403
    seen = (await world.client.get(f"/proposals/{proposal['id']}", headers=world.coach())).json()
    assert seen["status"] == "proposed"
    assert len(seen["steps"]) == 1


async def test_a_place_is_never_promised_twice_and_a_decline_frees_it(world: World) -> None:
    opportunity = await world.opportunity(places_total=1)
    first, second = await world.candidate(), await world.candidate()
    proposal = (await world.propose(first, opportunity)).json()
    assert (await world.propose(first, opportunity)).status_code in (409, 422)  # already proposed, place taken
    refused = await world.propose(second, opportunity)
    assert refused.status_code == 422
    assert "no places left" in refused.json()["detail"]
    declined = await step(world, proposal, "decline", {"reason": "experience"})
    assert declined.status_code == 200
    assert declined.json()["reason"] == "experience"
    assert (await world.propose(second, opportunity)).status_code == 201


async def test_a_coach_cannot_propose_someone_elses_candidate_nor_an_ineligible_one(world: World) -> None:
    opportunity = await world.opportunity()
    theirs = await world.candidate(coach="coach-2")
    assert (await world.propose(theirs, opportunity)).status_code == 404
    unwilling = await world.candidate(consent=False)
    refused = await world.propose(unwilling, opportunity)
    assert refused.status_code == 422
    assert "consent" in refused.json()["detail"]
    listed = await world.client.get("/proposals", headers=world.admin())
    assert listed.json() == []


async def test_a_hold_runs_out_after_the_configured_days_and_the_place_is_free_again(world: World) -> None:
    opportunity = await world.opportunity(places_total=1)
    proposal = (await world.propose(await world.candidate(), opportunity)).json()
    now = dt.datetime.now(dt.UTC)
    assert (await sweep(world.runtime, now + dt.timedelta(days=13)))["expired"] == 0
    assert (await sweep(world.runtime, now + dt.timedelta(days=15)))["expired"] == 1
    after = (await world.client.get(f"/proposals/{proposal['id']}", headers=world.coach())).json()
    assert after["status"] == "expired"
    assert not after["holds_place"]
    assert (await world.get_opportunity(opportunity))["places_held"] == 0
    types = [e.type for e in await world.events(3)]
    assert "proposal.expired" in types


async def test_erasure_deletes_the_profile_and_closes_open_proposals_without_a_link_to_the_person(
    world: World,
) -> None:
    opportunity = await world.opportunity()
    participant = await world.candidate()
    proposal = (await world.propose(participant, opportunity)).json()
    await world.erase(participant)
    assert (await world.client.get(f"/candidates/{participant}", headers=world.admin())).status_code == 404
    after = (await world.client.get(f"/proposals/{proposal['id']}", headers=world.admin())).json()
    assert after["status"] == "withdrawn"
    assert after["reason"] == "participant_erased"
    assert after["participant_id"] != str(participant)
    assert after["candidate"] is None
    assert (await world.get_opportunity(opportunity))["places_held"] == 0
    async with world.runtime.pool.acquire() as conn:
        left = await conn.fetchval(
            "SELECT count(*) FROM proposals WHERE participant_id = $1", participant
        ) + await conn.fetchval("SELECT count(*) FROM candidates WHERE participant_id = $1", participant)
    assert left == 0


async def test_withdrawing_matching_consent_withdraws_proposals_that_hold_a_place(world: World) -> None:
    opportunity = await world.opportunity()
    participant = await world.candidate()
    proposal = (await world.propose(participant, opportunity)).json()
    await world.withdraw_consent(participant)
    after = (await world.client.get(f"/proposals/{proposal['id']}", headers=world.coach())).json()
    assert after["status"] == "withdrawn"
    assert after["reason"] == "consent_withdrawn"
