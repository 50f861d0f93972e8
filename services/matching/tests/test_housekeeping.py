"""Nothing stale: "still open?" after the configured days, out of the suggestions after the grace period."""

from __future__ import annotations

import datetime as dt

import pytest

from services.matching.housekeeping import sweep
from services.matching.settings import MatchingSettings
from services.matching.tests.conftest import World
from shared.events.contracts.matching import OpportunityConfirmationRequested, OpportunityWentStale


async def test_an_unconfirmed_opportunity_is_asked_then_leaves_the_suggestions_with_the_reason_shown(
    world: World,
) -> None:
    opportunity = await world.opportunity()
    participant = await world.candidate()
    now = dt.datetime.now(dt.UTC)
    assert await sweep(world.runtime, now + dt.timedelta(days=29)) == {
        "expired": 0,
        "asked": 0,
        "stale": 0,
        "forgotten": 0,
    }
    asked_at = now + dt.timedelta(days=31)
    assert (await sweep(world.runtime, asked_at))["asked"] == 1
    assert (await sweep(world.runtime, asked_at + dt.timedelta(days=1)))["asked"] == 0  # asked once
    still = await world.get_opportunity(opportunity)
    assert still["status"] == "open"
    assert still["confirmation_requested_at"] is not None
    assert (await sweep(world.runtime, asked_at + dt.timedelta(days=8)))["stale"] == 1
    stale = await world.get_opportunity(opportunity)
    assert stale["status"] == "stale"
    assert "not confirmed since" in stale["status_reason"]
    suggestions = (
        await world.client.get(f"/candidates/{participant}/suggestions?lang=en", headers=world.coach())
    ).json()
    assert suggestions["suggestions"] == []
    assert [m["filter"] for m in suggestions["near_misses"]] == ["open"]
    proposal = await world.propose(participant, opportunity)
    assert proposal.status_code == 422
    confirmed = await world.client.post(f"/opportunities/{opportunity['id']}/confirm", headers=world.coach())
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "open"
    back = (await world.client.get(f"/candidates/{participant}/suggestions", headers=world.coach())).json()
    assert [s["opportunity_id"] for s in back["suggestions"]] == [opportunity["id"]]
    envelopes = await world.events(4)
    asked = next(e for e in envelopes if e.type == "opportunity.confirmation_requested")
    assert asked.parse(OpportunityConfirmationRequested).employer_id == world.employer
    went = next(e for e in envelopes if e.type == "opportunity.went_stale")
    assert went.parse(OpportunityWentStale).reason.value == "not_confirmed"


async def test_a_development_deployment_lets_an_administrator_sweep_as_of_a_later_day(world: World) -> None:
    opportunity = await world.opportunity()
    assert (await world.propose(await world.candidate(), opportunity)).status_code == 201
    ahead = {"days_ahead": 15}
    assert (await world.client.post("/housekeeping/sweep", json=ahead, headers=world.coach())).status_code == 403
    refused = await world.client.post("/housekeeping/sweep", json={"days_ahead": 0}, headers=world.admin())
    assert refused.status_code == 422
    assert (await world.get_opportunity(opportunity))["places_held"] == 1
    swept = await world.client.post("/housekeeping/sweep", json=ahead, headers=world.admin())
    assert swept.status_code == 200
    assert swept.json()["expired"] == 1
    assert (await world.get_opportunity(opportunity))["places_held"] == 0


def test_settings_come_from_the_environment_and_nonsense_is_refused() -> None:
    assert MatchingSettings.load({}).hold_days == 14
    loaded = MatchingSettings.load({"REGIONET_MATCHING_HOLD_DAYS": "7", "REGIONET_CONFIRM_AFTER_DAYS": "20"})
    assert (loaded.hold_days, loaded.confirm_after_days) == (7, 20)
    with pytest.raises(ValueError, match="positive"):
        MatchingSettings.load({"REGIONET_MATCHING_STALE_GRACE_DAYS": "0"})
