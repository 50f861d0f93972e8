"""A participant reads their own proposals (``GET /proposals/mine``) over HTTP, with real tokens.

They see the place, its employer, where, the status and until when: nobody else's proposals, and
none of the coach's working material (score, explanation, steps, coach). Every other role keeps
what it had and is refused this list; bad paging is a 422 that says which parameter.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.matching.tests.conftest import World
from shared.auth import Role
from shared.events.contracts.intake import EmployerUpdated, SizeClass

# What a participant may know of a proposal, and nothing more.
OWN_FIELDS = {
    "id",
    "opportunity_id",
    "title",
    "kind",
    "hours",
    "start_date",
    "country",
    "postcode",
    "employer_name",
    "status",
    "hold_until",
    "proposed_at",
    "status_since",
}


async def _participant(world: World, participant: uuid.UUID) -> dict[str, str]:
    """A participant account acting for ``participant`` (intake's id, the candidate's here), and its headers."""
    sub = f"participant-{participant.hex[:8]}"
    await world.platform.enrol_all([(Role.PARTICIPANT, sub, str(participant))])
    return world.platform.auth("participant", sub)


async def _mine(world: World, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    answer = await world.client.get(f"/proposals/mine{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


async def test_a_participant_sees_their_own_proposals_and_nobody_elses(world: World) -> None:
    opportunity = await world.opportunity()
    sanne, ahmed = await world.candidate(), await world.candidate()
    made = await world.propose(sanne, opportunity)
    assert made.status_code == 201, made.text
    proposal = made.json()
    theirs = (await world.propose(ahmed, opportunity)).json()
    as_sanne, as_ahmed = await _participant(world, sanne), await _participant(world, ahmed)

    (mine,) = await _mine(world, as_sanne)
    assert set(mine) == OWN_FIELDS, "no score, explanation, steps, coach or candidate profile"
    assert mine["id"] == proposal["id"]
    assert (mine["title"], mine["kind"], mine["hours"]) == ("BBL lasser", "bbl", 32)
    assert (mine["employer_name"], mine["country"]) == ("Smit Metaal", "NL")
    assert mine["postcode"] == opportunity["postcode"]
    assert mine["status"] == "proposed"
    assert mine["hold_until"] == proposal["hold_until"]
    assert [p["id"] for p in await _mine(world, as_ahmed)] == [theirs["id"]]

    declined = await world.client.post(
        f"/proposals/{proposal['id']}/decline", json={"reason": "experience"}, headers=world.employer_user()
    )
    assert declined.status_code == 200, declined.text
    await world.feed(
        EmployerUpdated(
            employer_id=world.employer,
            kvk_number="11112222",
            name="Smit Metaal en Zonen",
            sector="metaal",
            size_class=SizeClass.MKB,
            postcode_area="6511",
            accredited_learning_company=True,
            changed_fields=["name"],
        )
    )
    (answered,) = await _mine(world, as_sanne)
    assert (answered["status"], answered["hold_until"]) == ("declined", None)
    assert dt.datetime.fromisoformat(answered["status_since"]) >= dt.datetime.fromisoformat(answered["proposed_at"])
    assert answered["employer_name"] == "Smit Metaal en Zonen", "intake's latest name"

    nobody = await _participant(world, uuid.uuid4())
    assert await _mine(world, nobody) == [], "a participant who was never proposed"
    await world.erase(sanne)
    assert await _mine(world, as_ahmed) != []
    assert await _mine(world, as_sanne) == [], "erased: their proposals link to nobody any more"


async def test_a_participant_reaches_no_other_proposal_operation(world: World) -> None:
    opportunity = await world.opportunity()
    sanne = await world.candidate()
    proposal = (await world.propose(sanne, opportunity)).json()
    as_sanne = await _participant(world, sanne)
    for method, path, body in (
        ("GET", "/proposals", None),
        ("GET", f"/proposals/{proposal['id']}", None),
        ("POST", f"/proposals/{proposal['id']}/decline", {"reason": "candidate_declined"}),
        ("POST", f"/proposals/{proposal['id']}/withdraw", {"reason": "candidate_withdrew"}),
    ):
        refused = await world.client.request(method, path, json=body, headers=as_sanne)
        assert refused.status_code == 403, (method, path, refused.text)
    (still,) = await _mine(world, as_sanne)
    assert still["status"] == "proposed", "nothing changed"


async def test_every_other_role_keeps_its_own_view_and_is_refused_a_participants_list(world: World) -> None:
    opportunity = await world.opportunity()
    proposal = (await world.propose(await world.candidate(), opportunity)).json()
    others = {
        "coach": world.coach(),
        "employer": world.employer_user(),
        "programme officer": world.officer(),
        "administrator": world.admin(),
    }
    for name, headers in others.items():
        refused = await world.client.get("/proposals/mine", headers=headers)
        assert refused.status_code == 403, (name, refused.text)
        listed = await world.client.get("/proposals", headers=headers)
        assert [p["id"] for p in listed.json()] == [proposal["id"]], name
        assert "score" in listed.json()[0], name
    assert (await world.client.get("/proposals/mine")).status_code == 401, "no token"


async def test_bad_paging_is_refused_with_a_sentence_naming_the_parameter(world: World) -> None:
    opportunity = await world.opportunity(places_total=3)
    sanne = await world.candidate()
    first = (await world.propose(sanne, opportunity)).json()
    second_place = await world.opportunity(title="BBL lasser Arnhem")
    second = (await world.propose(sanne, second_place)).json()
    as_sanne = await _participant(world, sanne)
    assert [p["id"] for p in await _mine(world, as_sanne, "?limit=1")] == [second["id"]], "newest first"
    assert [p["id"] for p in await _mine(world, as_sanne, "?limit=1&offset=1")] == [first["id"]]
    assert await _mine(world, as_sanne, "?offset=2") == []
    for query, parameter in (
        ("?limit=0", "query.limit"),
        ("?limit=201", "query.limit"),
        ("?limit=many", "query.limit"),
        ("?offset=-1", "query.offset"),
        ("?offset=1000001", "query.offset"),
        ("?offset=9223372036854775808", "query.offset"),
    ):
        refused = await world.client.get(f"/proposals/mine{query}", headers=as_sanne)
        assert refused.status_code == 422, query
        assert refused.json()["detail"].startswith("The request is not valid."), query
        assert [e["field"] for e in refused.json()["errors"]] == [parameter], query
