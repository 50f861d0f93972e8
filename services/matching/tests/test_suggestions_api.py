"""Suggestions over HTTP: explained in the reader's language, "why not" for near misses, consent respected."""

from __future__ import annotations

from services.matching.tests.conftest import World


async def test_a_candidate_gets_the_opportunity_explained_in_dutch_german_or_english(world: World) -> None:
    opportunity = await world.opportunity()
    participant = await world.candidate()
    path = f"/candidates/{participant}/suggestions"
    dutch = (await world.client.get(path, headers=world.coach())).json()
    [suggestion] = dutch["suggestions"]
    assert suggestion["opportunity_id"] == opportunity["id"]
    assert suggestion["title"] == "BBL lasser"
    assert dutch["language"] == "nl"
    assert "essentiële vaardigheden" in suggestion["explanation"]
    assert "crebo 25244" in suggestion["explanation"]
    assert 10 < suggestion["distance_km"] < 25
    assert abs(sum(p["points"] for p in suggestion["parts"]) - suggestion["score"]) < 0.05
    german = (await world.client.get(path, headers={**world.coach(), "Accept-Language": "de-DE,de;q=0.9"})).json()
    assert "wesentlichen Fähigkeiten" in german["suggestions"][0]["explanation"]
    english = (await world.client.get(f"{path}?lang=en", headers=world.coach())).json()
    assert "essential skills" in english["suggestions"][0]["explanation"]
    bad = await world.client.get(f"{path}?lang=fr", headers=world.coach())
    assert bad.status_code == 422


async def test_the_nearest_misses_say_which_filter_failed(world: World) -> None:
    await world.opportunity(title="Lasser Utrecht", postcode="3511")  # about 55 km: outside a 25 km radius
    participant = await world.candidate()
    answer = (await world.client.get(f"/candidates/{participant}/suggestions?lang=en", headers=world.coach())).json()
    assert answer["suggestions"] == []
    [miss] = answer["near_misses"]
    assert miss["filter"] == "radius"
    assert "outside the travel radius" in miss["why_not"]
    widened = await world.client.patch(
        f"/candidates/{participant}", json={"travel_radius_km": 80}, headers=world.coach()
    )
    assert widened.status_code == 200
    answer = (await world.client.get(f"/candidates/{participant}/suggestions", headers=world.coach())).json()
    assert [s["title"] for s in answer["suggestions"]] == ["Lasser Utrecht"]


async def test_a_candidate_who_withdraws_matching_consent_disappears_at_once(world: World) -> None:
    opportunity = await world.opportunity()
    stays, leaves = await world.candidate(), await world.candidate()
    path = f"/opportunities/{opportunity['id']}/suggestions"
    before = (await world.client.get(path, headers=world.admin())).json()
    assert {s["candidate"]["participant_id"] for s in before["suggestions"]} == {str(stays), str(leaves)}
    await world.withdraw_consent(leaves)
    after = (await world.client.get(path, headers=world.admin())).json()
    assert {s["candidate"]["participant_id"] for s in after["suggestions"]} == {str(stays)}
    assert str(leaves) not in str(after)
    never = await world.candidate(consent=False)
    again = (await world.client.get(path, headers=world.admin())).json()
    assert str(never) not in str(again)


async def test_a_coach_sees_only_their_own_caseload(world: World) -> None:
    opportunity = await world.opportunity()
    mine, theirs = await world.candidate(), await world.candidate(coach="coach-2")
    answer = (await world.client.get(f"/opportunities/{opportunity['id']}/suggestions", headers=world.coach())).json()
    assert [s["candidate"]["participant_id"] for s in answer["suggestions"]] == [str(mine)]
    for path in (f"/candidates/{theirs}", f"/candidates/{theirs}/suggestions"):
        assert (await world.client.get(path, headers=world.coach())).status_code == 404
    refused = await world.client.patch(f"/candidates/{theirs}", json={"hours_max": 20}, headers=world.coach())
    assert refused.status_code == 404
    listed = (await world.client.get("/candidates", headers=world.coach())).json()
    assert [c["participant_id"] for c in listed] == [str(mine)]
    for role in ("employer", "provider", "participant", "programme_officer"):
        answer = await world.client.get(f"/candidates/{mine}", headers=world.platform.auth(role, "x"))
        assert answer.status_code == 403


async def test_a_coachs_additions_are_checked_and_bad_ones_change_nothing(world: World) -> None:
    participant = await world.candidate()
    path = f"/candidates/{participant}"
    for body in (
        {"hours_min": 40, "hours_max": 20},
        {"travel_radius_km": 0},
        {"language_level": "Z9"},
        {"available_from": "1900-01-01"},
        {"preferred_kinds": ["castle"]},
        {"travel_radius_km": None},
    ):
        answer = await world.client.patch(path, json=body, headers=world.coach())
        assert answer.status_code == 422, (body, answer.text)
    profile = (await world.client.get(path, headers=world.coach())).json()
    assert (profile["hours_min"], profile["hours_max"], profile["travel_radius_km"]) == (0, 40, 25)
    added = await world.client.patch(
        path,
        json={
            "hours_min": 24,
            "hours_max": 32,
            "language_level": "B2",
            "driving_licence": True,
            "preferred_kinds": ["bbl", "vacancy"],
            "available_from": "2027-01-04",
        },
        headers=world.coach(),
    )
    assert added.status_code == 200, added.text
    assert added.json()["preferred_kinds"] == ["bbl", "vacancy"]
    assert added.json()["language_level"] == "B2"
    assert "target_groups" not in added.json()
