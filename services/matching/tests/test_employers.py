"""Employers in matching: their own opportunities only, anonymous candidates until a participant shares
their profile with them, and answering the proposals made to them."""

from __future__ import annotations

import uuid

from services.matching.tests.conftest import World, opportunity_body
from shared.events.contracts.intake import ConsentPurpose, ParticipantConsentGiven, ParticipantConsentWithdrawn


def own_body(world: World) -> dict[str, object]:
    return {k: v for k, v in opportunity_body(world.employer).items() if k != "employer_id"}


async def test_an_employer_publishes_and_manages_only_its_own_opportunities(world: World) -> None:
    mine = await world.client.post("/opportunities", json=own_body(world), headers=world.employer_user())
    assert mine.status_code == 201, mine.text
    assert mine.json()["employer_id"] == str(world.employer)
    posing = await world.client.post(
        "/opportunities", json=opportunity_body(world.other_employer), headers=world.employer_user()
    )
    assert posing.status_code == 404
    theirs = await world.client.post(
        "/opportunities", json=opportunity_body(world.other_employer), headers=world.coach()
    )
    assert theirs.status_code == 201
    listed = await world.client.get("/opportunities", headers=world.employer_user())
    assert [o["id"] for o in listed.json()] == [mine.json()["id"]]
    other = theirs.json()["id"]
    for method, path in (
        ("GET", f"/opportunities/{other}"),
        ("PATCH", f"/opportunities/{other}"),
        ("POST", f"/opportunities/{other}/confirm"),
        ("POST", f"/opportunities/{other}/close"),
        ("GET", f"/opportunities/{other}/suggestions"),
    ):
        body = {"json": {"hours": 20}} if method == "PATCH" else {}
        answer = await world.client.request(method, path, headers=world.employer_user(), **body)
        assert answer.status_code == 404, (method, path, answer.text)
    unchanged = await world.client.get(f"/opportunities/{other}", headers=world.coach())
    assert unchanged.json()["hours"] == 32
    assert unchanged.json()["status"] == "open"
    for path in ("/candidates", f"/candidates/{uuid.uuid4()}", "/fairness"):
        assert (await world.client.get(path, headers=world.employer_user())).status_code == 403


async def test_an_employer_sees_candidates_anonymously_until_they_share_their_profile(world: World) -> None:
    opportunity = await world.opportunity()
    participant = await world.candidate()
    path = f"/opportunities/{opportunity['id']}/suggestions"
    [anonymous] = (await world.client.get(path, headers=world.employer_user())).json()["suggestions"]
    assert anonymous["candidate"]["participant_id"] is None
    assert anonymous["candidate"]["skills"]  # what the place needs to know
    proposal = (await world.propose(participant, opportunity)).json()
    seen = (await world.client.get(f"/proposals/{proposal['id']}", headers=world.employer_user())).json()
    assert seen["participant_id"] is None
    assert seen["candidate"]["participant_id"] is None
    assert str(participant) not in (await world.client.get("/proposals", headers=world.employer_user())).text
    share = {"participant_id": participant, "purpose": ConsentPurpose.SHARE_WITH_EMPLOYER, "source": "participant"}
    await world.feed(ParticipantConsentGiven(**share, employer_id=world.employer))
    [shared] = (await world.client.get(path, headers=world.employer_user())).json()["suggestions"]
    assert shared["candidate"]["participant_id"] == str(participant)
    seen = (await world.client.get(f"/proposals/{proposal['id']}", headers=world.employer_user())).json()
    assert seen["participant_id"] == str(participant)
    await world.feed(ParticipantConsentWithdrawn(**share, employer_id=world.employer))
    seen = (await world.client.get(f"/proposals/{proposal['id']}", headers=world.employer_user())).json()
    assert seen["participant_id"] is None


async def test_the_employer_answers_its_proposals_and_no_other_employer_can(world: World) -> None:
    opportunity = await world.opportunity()
    proposal = (await world.propose(await world.candidate(), opportunity)).json()
    step = f"/proposals/{proposal['id']}"
    assert (await world.client.get(step, headers=world.employer_user("employer-2"))).status_code == 404
    assert (await world.client.post(f"{step}/interested", headers=world.employer_user("employer-2"))).status_code == 404
    withdraw = await world.client.post(
        f"{step}/withdraw", json={"reason": "coach_withdrew"}, headers=world.employer_user()
    )
    assert withdraw.status_code == 403  # an employer declines instead
    answered = await world.client.post(f"{step}/interested", headers=world.employer_user())
    assert answered.status_code == 200, answered.text
    assert answered.json()["steps"][-1]["by_role"] == "employer"
    declined = await world.client.post(f"{step}/decline", json={"reason": "hours"}, headers=world.employer_user())
    assert declined.json()["status"] == "declined"
    assert (await world.get_opportunity(opportunity))["places_held"] == 0
    assert (await world.client.post("/proposals", json={}, headers=world.employer_user())).status_code == 403
