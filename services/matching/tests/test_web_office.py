"""The employer's and programme officer's web pages against the running service (real Postgres and NATS).

Every page renders for its role and refuses the others; an employer never sees or touches another
employer's opportunity or proposal; a decline without a reason, a form without its CSRF token and
bad input each get a sentence and change nothing; the officer's dashboard shows the rest when
vouchers does not answer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
import uuid
from pathlib import Path
from typing import Any

import httpx

from services.matching.fairness import METRICS
from services.matching.tests.conftest import World, opportunity_body
from services.matching.tests.test_web_signin import csrf_of
from services.matching.tests.words import assert_every_word_exists
from services.matching.web import charts, employer
from services.vouchers.app import definition as vouchers
from shared.events.contracts.intake import ConsentPurpose, ParticipantConsentGiven, TargetGroup
from shared.events.contracts.matching import DeclineReason, EndReason, OpportunityKind, WithdrawReason
from shared.tooling.demo.dataset import programme_body
from tests.support.platform import serve_over_http
from tests.support.ports import free_port

TEMPLATES = Path(employer.__file__).parent / "templates"


async def sign_in(world: World, account: str) -> str:
    """Sign in with the development picker; the home page's CSRF token."""
    picker = await world.client.get("/signin")
    answer = await world.client.post("/signin", data={"account": account, "csrf": csrf_of(picker.text)})
    assert answer.status_code == 303, answer.text
    return csrf_of((await world.client.get("/signin")).text)


async def page_csrf(world: World, path: str) -> str:
    answer = await world.client.get(path)
    assert answer.status_code == 200, answer.text
    return csrf_of(answer.text)


async def proposal_status(world: World, proposal_id: str) -> str:
    answer = await world.client.get(f"/proposals/{proposal_id}", headers=world.admin())
    status: str = answer.json()["status"]
    return status


async def test_an_employer_manages_their_places_and_answers_proposals_and_nobody_elses(world: World) -> None:
    mine = await world.opportunity(title="BBL lasser Smit")
    theirs_answer = await world.client.post(
        "/opportunities", json=opportunity_body(world.other_employer, title="Monteur elders"), headers=world.coach()
    )
    theirs = theirs_answer.json()
    first, second, third = [await world.candidate() for _ in range(3)]
    # The opportunity has two places: two proposals hold them; the third goes to the other employer.
    p1 = (await world.propose(first, mine)).json()["id"]
    p2 = (await world.propose(second, mine)).json()["id"]
    p_other = (await world.propose(third, theirs)).json()["id"]

    await sign_in(world, "employer-1")
    listing = await world.client.get("/employer")
    assert listing.status_code == 200
    assert "BBL lasser Smit" in listing.text
    assert "Monteur elders" not in listing.text
    assert "0 van 2 vrij (2 gereserveerd, 0 bezet)" in listing.text
    csrf = csrf_of(listing.text)

    received = await world.client.get("/employer/proposals")
    assert received.status_code == 200
    assert p1 in received.text
    assert p2 in received.text
    assert p_other not in received.text
    assert "Anoniem profiel." in received.text
    assert str(first) not in received.text, "no participant id without sharing"
    assert '<label for="reason-' in received.text
    share = {"participant_id": second, "purpose": ConsentPurpose.SHARE_WITH_EMPLOYER, "source": "participant"}
    await world.feed(ParticipantConsentGiven(**share, employer_id=world.employer))
    shared = (await world.client.get("/employer/proposals")).text
    assert str(second) in shared, "the reference of a participant who shares their profile with this employer"
    assert str(first) not in shared
    assert (await world.client.get("/employer/proposals?status=proposed")).text.count("/interested") == 2
    bad_filter = await world.client.get("/employer/proposals?status=<script>")
    assert bad_filter.status_code == 400
    assert "Die status bestaat niet" in bad_filter.text

    no_reason = await world.client.post(f"/employer/proposals/{p1}/decline", data={"csrf": csrf})
    assert no_reason.status_code == 422
    assert "Kies een reden om af te wijzen; er is niets veranderd" in no_reason.text
    made_up = await world.client.post(f"/employer/proposals/{p1}/decline", data={"csrf": csrf, "reason": "rude"})
    assert made_up.status_code == 422
    forged = await world.client.post(f"/employer/proposals/{p1}/interested", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert "kwam niet van deze pagina" in forged.text
    assert await proposal_status(world, p1) == "proposed"

    yes = await world.client.post(f"/employer/proposals/{p1}/interested", data={"csrf": csrf})
    assert (yes.status_code, yes.headers["location"]) == (303, "/employer/proposals?done=interested")
    assert await proposal_status(world, p1) == "interested"
    again = await world.client.post(f"/employer/proposals/{p1}/interested", data={"csrf": csrf})
    assert again.status_code == 409
    assert "cannot become interested" in again.text
    no = await world.client.post(f"/employer/proposals/{p2}/decline", data={"csrf": csrf, "reason": "distance"})
    assert no.status_code == 303
    assert await proposal_status(world, p2) == "declined"
    answered = await world.client.get("/employer/proposals?done=declined")
    assert "Je antwoord is opgeslagen: afgewezen." in answered.text
    assert "Te ver weg" in answered.text

    for path in (
        f"/employer/proposals/{p_other}/interested",
        f"/employer/opportunities/{theirs['id']}/confirm",
        f"/employer/opportunities/{theirs['id']}/close",
        "/employer/opportunities/not-an-id/close",
        "/employer/proposals/not-an-id/interested",
    ):
        refused = await world.client.post(path, data={"csrf": csrf, "reason": "other"})
        assert refused.status_code == 404, path
        assert "Dat mag of kan niet" in refused.text or "Niet gevonden" in refused.text, path
    stranger = await world.client.post(f"/employer/proposals/{p_other}/decline", data={"csrf": csrf, "reason": "other"})
    assert stranger.status_code == 404
    assert await proposal_status(world, p_other) == "proposed"
    assert (await world.get_opportunity(theirs))["status"] == "open"

    form = await world.client.get("/employer/new")
    assert form.status_code == 200
    assert '<label for="f-postcode">' in form.text
    body = {
        "csrf": csrf,
        "kind": "vacancy",
        "title": "Lasser dagdienst",
        "occupation": "welder",
        "essential_skills": ["tig-welding", "mag-welding"],
        "hours": "36",
        "start_date": (dt.date.today() + dt.timedelta(days=20)).isoformat(),
        "country": "NL",
        "postcode": "0000 ZZ",
        "open_until": (dt.date.today() + dt.timedelta(days=60)).isoformat(),
        "places_total": "3",
    }
    wrong = await world.client.post("/employer/new", data=body)
    assert wrong.status_code == 422
    assert "De plek is niet gepubliceerd" in wrong.text
    assert "not a known NL postcode area" in wrong.text
    assert 'value="Lasser dagdienst"' in wrong.text, "what was typed stays"
    assert (await world.client.post("/employer/new", data={**body, "hours": "lots"})).status_code == 422
    assert (await world.client.post("/employer/new", data={**body, "csrf": ""})).status_code == 403
    published = await world.client.post("/employer/new", data={**body, "postcode": "6511 AB"})
    assert (published.status_code, published.headers["location"]) == (303, "/employer?done=created")
    own = (await world.client.get("/opportunities", headers=world.employer_user())).json()
    created = next(o for o in own if o["title"] == "Lasser dagdienst")
    assert (created["essential_skills"], created["places_total"]) == (["tig-welding", "mag-welding"], 3)
    assert len([o for o in own if o["title"] == "Lasser dagdienst"]) == 1

    confirmed = await world.client.post(f"/employer/opportunities/{created['id']}/confirm", data={"csrf": csrf})
    assert confirmed.headers["location"] == "/employer?done=confirmed"
    closed = await world.client.post(f"/employer/opportunities/{created['id']}/close", data={"csrf": csrf})
    assert closed.status_code == 303
    assert "De plek is gesloten." in (await world.client.get("/employer?done=closed")).text

    english = await world.client.get("/employer/proposals?lang=en")
    assert '<html lang="en">' in english.text
    assert "Reason for declining" in english.text

    for account, path in (("coach-1", "/employer?lang=nl"), ("officer-1", "/employer"), ("coach-1", "/officer")):
        await sign_in(world, account)
        other_role = await world.client.get(path)
        assert other_role.status_code == 403, (account, path)
        assert "niet voor jouw rol" in other_role.text


async def test_an_officer_reads_inflow_budgets_fairness_and_runs_the_plan(world: World) -> None:
    women = [await world.candidate(target_groups=[TargetGroup.WOMAN]) for _ in range(11)]
    await world.candidate(target_groups=[TargetGroup.AGE_45_PLUS])
    others = [await world.candidate() for _ in range(10)]
    place = await world.opportunity(places_total=4)
    for other in others[:2]:  # proposals for others only: the women's proposals per 100 are 0, flagged
        assert (await world.propose(other, place)).status_code == 201
    settings = world.service.app.state.settings
    world.service.app.state.settings = settings.model_copy(update={"vouchers_url": f"http://127.0.0.1:{free_port()}"})

    inflow = (await world.client.get("/inflow", headers=world.officer())).json()
    this_week = {s["target_group"]: s["people"][-1] for s in inflow["series"]}
    assert (this_week[None], this_week["woman"], this_week["age_45_plus"]) == (22, 11, None)
    assert len(inflow["weeks"]) == 12
    assert (await world.client.get("/inflow", headers=world.coach())).status_code == 403
    assert (await world.client.get("/inflow?weeks=0", headers=world.officer())).status_code == 422

    await sign_in(world, "officer-1")
    down = await world.client.get("/officer")
    assert down.status_code == 200
    assert "De vouchersdienst antwoordt nu niet" in down.text
    assert down.text.count('<svg class="chart"') == 1 + len(TargetGroup), "the inflow charts still show"
    assert '<caption id="inflow-caption">' in down.text
    assert "<td>11</td>" in down.text
    assert "minder dan 10" in down.text, "small cells are hidden"

    async with serve_over_http(world.platform, vouchers) as url:
        await world.platform.enrol_all([("programme_officer", "officer-1", "officer-1")])
        async with httpx.AsyncClient(base_url=url) as client:
            answer = await client.post(
                "/programmes", json=programme_body(dt.datetime.now(dt.UTC)), headers=world.officer()
            )
        assert answer.status_code == 201, answer.text
        created = answer.json()
        world.service.app.state.settings = settings.model_copy(update={"vouchers_url": url})
        up = await world.client.get("/officer?lang=en")
    assert up.status_code == 200
    assert "not answering" not in up.text
    names = [c["name"] for c in created["categories"]]
    assert all(name in html.unescape(up.text) for name in names)
    assert up.text.count('<svg class="chart"') == 1 + len(TargetGroup) + len(names)
    assert f"budget-caption-{created['id']}" in up.text

    report = await world.client.get("/officer/plan?lang=nl")
    assert report.status_code == 200
    assert "Vrouwen" in report.text
    assert "<td>11</td>" in report.text
    assert "Minder dan 10 mensen: geen cijfers" in report.text, "the 45-plus cell of one person"
    assert "Groepen met een verhouding onder 0.8: 1." in report.text
    flag = r'<td class="flag">\s*0\.0\s*<span class="ratio">verhouding 0\.00</span>\s*<strong class="flag-text">onder'
    flagged = re.search(flag, report.text)
    assert flagged is not None, "the women's proposals per 100, flagged in words"
    forged = await world.client.post("/officer/plan", data={"csrf": "forged"})
    assert forged.status_code == 403
    planned = await world.client.post("/officer/plan", data={"csrf": csrf_of(report.text)})
    assert planned.status_code == 200
    assert "Plan gemaakt op" in planned.text
    assert "Toewijzingen (2 van 2)" in planned.text, "two free places for 22 candidates"
    assert sum(str(p) in planned.text for p in (*women, *others[2:])) == 2

    policy_form = {"csrf": csrf_of(planned.text), "quota-woman": "2", "quota-age_45_plus": ""}
    refused = await world.client.post("/officer/plan/policy", data={**policy_form, "quota-woman": "-3"})
    assert refused.status_code == 422
    assert "Geef een heel aantal plekken" in refused.text
    assert (await world.client.get("/plans/policy", headers=world.officer())).json()["quotas"] == []
    forged_policy = await world.client.post("/officer/plan/policy", data={**policy_form, "csrf": "forged"})
    assert forged_policy.status_code == 403
    saved = await world.client.post("/officer/plan/policy", data=policy_form)
    assert saved.status_code == 303
    standing = (await world.client.get("/plans/policy", headers=world.officer())).json()
    assert [(q["target_group"], q["places"]) for q in standing["quotas"]] == [("woman", 2)]
    shown = await world.client.get(saved.headers["location"])
    assert "De quota zijn bewaard" in shown.text
    assert 'id="quota-woman" name="quota-woman" inputmode="numeric" value="2"' in shown.text

    await sign_in(world, "employer-1")
    for path in ("/officer", "/officer/plan"):
        assert (await world.client.get(path)).status_code == 403
    assert (await world.client.post("/officer/plan/policy", data=policy_form)).status_code == 403


async def policy(world: World) -> dict[str, Any]:
    answer = await world.client.get("/plans/policy", headers=world.officer())
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def field_error(text: str, element_id: str) -> str:
    """The sentence a form shows next to one field (the paragraph with that id), or "" when there is none."""
    found = re.search(rf'<p class="field-error" id="{element_id}">([^<]*)</p>', text)
    return html.unescape(found[1]) if found else ""


async def test_closing_a_place_asks_first_says_what_it_does_and_happens_once(world: World) -> None:
    place = await world.opportunity(title="Monteur Bakker", places_total=3)
    one = await world.opportunity(title="Lasser Pieters")
    empty = await world.opportunity(title="Lasser Leeg")
    theirs = await world.client.post(
        "/opportunities", json=opportunity_body(world.other_employer, title="Elders"), headers=world.coach()
    )
    waiting = [(await world.propose(await world.candidate(), place)).json()["id"] for _ in range(2)]
    placed = (await world.propose(await world.candidate(), place)).json()["id"]
    for step in ("interested", "interview", "placed"):
        moved = await world.client.post(f"/proposals/{placed}/{step}", headers=world.coach())
        assert moved.status_code == 200, moved.text
    assert (await world.propose(await world.candidate(), one)).status_code == 201
    ask = f"/employer/opportunities/{place['id']}/close"

    await sign_in(world, "employer-1")
    listing = await world.client.get("/employer")
    assert f'href="{ask}"' in listing.text, "the close button leads to the confirm page"
    assert f'action="{ask}"' not in listing.text, "no longer closes in one click"

    confirm = await world.client.get(ask)
    assert confirm.status_code == 200
    text = html.unescape(confirm.text)
    assert "Deze plek sluiten?" in text
    assert "Monteur Bakker" in text
    assert "De 2 voorstellen die nog een plek vasthouden" in text
    assert "worden ingetrokken met de reden ‘plek gesloten’" in text
    assert "De persoon die al geplaatst is, houdt zijn of haar plek." in text
    assert "Een gesloten plek kan niet meer open." in text
    assert f'<form method="post" action="{ask}"' in text
    assert '<button type="submit" aria-describedby="place-title">Ja, sluiten</button>' in text
    cancel = f'<a class="button secondary" href="/employer#opportunity-{place["id"]}">Annuleren</a>'
    assert cancel in text
    assert "Het voorstel dat nog een plek vasthoudt" in html.unescape(
        (await world.client.get(f"/employer/opportunities/{one['id']}/close")).text
    )
    assert (
        "Er houdt nu geen voorstel een plek vast"
        in (await world.client.get(f"/employer/opportunities/{empty['id']}/close")).text
    )
    german = html.unescape((await world.client.get(f"{ask}?lang=de")).text)
    assert all(w in german for w in ("Diese Stelle schließen?", "Die 2 Vorschläge", "Ja, schließen", "Abbrechen"))
    english = html.unescape((await world.client.get(f"{ask}?lang=en")).text)
    assert all(w in english for w in ("Close this place?", "The 2 proposals", "Yes, close", "Cancel"))
    await world.client.get("/employer?lang=nl")

    # Cancel is a link back to the place: following it changes nothing.
    back = await world.client.get("/employer")
    assert back.status_code == 200
    assert 'id="opportunity-' + place["id"] + '"' in back.text
    assert (await world.get_opportunity(place))["status"] == "open"
    assert {await proposal_status(world, p) for p in waiting} == {"proposed"}

    for path, status, words in (
        ("/employer/opportunities/not-an-id/close", 404, "Niet gevonden"),
        (f"/employer/opportunities/{theirs.json()['id']}/close", 404, "Dat mag of kan niet"),
        (f"/employer/opportunities/{uuid.uuid4()}/close", 404, "Dat mag of kan niet"),
    ):
        for answer in (await world.client.get(path), await world.client.post(path, data={"csrf": csrf_of(text)})):
            assert (answer.status_code, words in answer.text) == (status, True), path
    assert (await world.get_opportunity(theirs.json()))["status"] == "open"
    forged = await world.client.post(ask, data={"csrf": "forged"})
    assert forged.status_code == 403
    assert (await world.get_opportunity(place))["status"] == "open"

    yes = await world.client.post(ask, data={"csrf": csrf_of(text)})
    assert (yes.status_code, yes.headers["location"]) == (303, "/employer?done=closed")
    assert (await world.get_opportunity(place))["status"] == "closed"
    assert [await proposal_status(world, p) for p in (*waiting, placed)] == ["withdrawn", "withdrawn", "placed"]
    assert "De plek is gesloten." in (await world.client.get("/employer?done=closed")).text

    for answer in (await world.client.get(ask), await world.client.post(ask, data={"csrf": csrf_of(text)})):
        assert answer.status_code == 409
        assert "Deze plek is al gesloten; er is niets veranderd." in answer.text
        assert "Ja, sluiten" not in answer.text
    assert "This place is already closed" in (await world.client.get(f"{ask}?lang=en")).text

    for account in ("coach-1", "officer-1"):
        await sign_in(world, account)
        assert (await world.client.get(f"/employer/opportunities/{one['id']}/close")).status_code == 403
        refused = await world.client.post(f"/employer/opportunities/{one['id']}/close", data={"csrf": csrf_of(text)})
        assert refused.status_code == 403
    assert (await world.get_opportunity(one))["status"] == "open"


async def test_an_officer_sets_quotas_as_places_or_shares_and_reserves_places_and_bad_input_changes_nothing(
    world: World,
) -> None:
    place = await world.opportunity(title="Lasser Jansen", places_total=3)
    await world.opportunity(title="Monteur Visser", places_total=2)
    shut = await world.opportunity(title="Gesloten plek")
    assert (await world.client.post(f"/opportunities/{shut['id']}/close", headers=world.coach())).status_code == 200

    await sign_in(world, "officer-1")
    shown = await world.client.get("/officer/plan")
    assert shown.status_code == 200
    assert '<label for="share-woman">Of aandeel (%)</label>' in shown.text
    assert "Er zijn nog geen plekken gereserveerd." in shown.text
    assert "Lasser Jansen (6511AB, plekken: 3)" in shown.text
    assert "Gesloten plek" not in shown.text, "only open places can be reserved"
    csrf = csrf_of(shown.text)
    empty = {f"{kind}-{g.value}": "" for g in TargetGroup for kind in ("quota", "share")}

    for typed, words in (
        ({"share-woman": "150"}, "Geef een aandeel in procenten, meer dan 0 en hoogstens 100"),
        ({"share-woman": "-5"}, "Geef een aandeel in procenten"),
        ({"share-woman": "12.345"}, "Geef een aandeel in procenten"),
        ({"share-woman": "veel"}, "Geef een aandeel in procenten"),
        ({"quota-woman": "2", "share-woman": "10"}, "Geef een aantal plekken of een aandeel, niet allebei."),
        ({"quota-woman": "²"}, "Geef een heel aantal plekken van 1 tot 1.000.000."),
        ({"quota-woman": "1000001"}, "Geef een heel aantal plekken"),
    ):
        refused = await world.client.post("/officer/plan/policy", data={**empty, "csrf": csrf, **typed})
        assert refused.status_code == 422, typed
        assert words in field_error(refused.text, "quota-error-woman"), typed
        assert 'id="share-woman" name="share-woman" inputmode="decimal" value="' in refused.text
        assert 'aria-describedby="quota-error-woman quota-hint" aria-invalid="true"' in refused.text
        assert field_error(refused.text, "quota-error-age_45_plus") == ""
        assert (await policy(world))["quotas"] == [], typed
    typed_back = await world.client.post("/officer/plan/policy", data={**empty, "csrf": csrf, "share-woman": "150"})
    assert 'value="150"' in typed_back.text, "what was typed stays"

    good = {**empty, "csrf": csrf, "share-woman": "12,5", "quota-age_45_plus": "3", "share-other": "0"}
    saved = await world.client.post("/officer/plan/policy", data=good)
    assert (saved.status_code, saved.headers["location"]) == (303, "/officer/plan?policy=saved#policy-heading")
    standing = await policy(world)
    assert sorted((q["target_group"], q["places"], q["share"]) for q in standing["quotas"]) == [
        ("age_45_plus", 3, None),
        ("woman", None, 0.125),
    ]
    again = await world.client.get("/officer/plan?policy=saved")
    assert 'name="share-woman" inputmode="decimal" value="12,5"' in again.text
    assert 'name="quota-age_45_plus" inputmode="numeric" value="3"' in again.text
    assert (
        'name="share-woman" inputmode="decimal" value="12.5"' in (await world.client.get("/officer/plan?lang=en")).text
    )
    await world.client.get("/officer/plan?lang=nl")

    reserve = {"csrf": csrf, "opportunity": place["id"], "group": "woman", "places": "2"}
    for typed, field, words in (
        ({"opportunity": ""}, "reserve-opportunity-error", "Kies een open plek uit de lijst."),
        ({"opportunity": shut["id"]}, "reserve-opportunity-error", "Kies een open plek uit de lijst."),
        ({"opportunity": "not-an-id"}, "reserve-opportunity-error", "Kies een open plek uit de lijst."),
        ({"group": "left-handed"}, "reserve-group-error", "Kies een doelgroep uit de lijst."),
        ({"places": "0"}, "reserve-places-error", "Geef een heel aantal plekken van 1 tot en met 3."),
        ({"places": "4"}, "reserve-places-error", "Geef een heel aantal plekken van 1 tot en met 3."),
        ({"places": "twee"}, "reserve-places-error", "van 1 tot en met 3"),
    ):
        refused = await world.client.post("/officer/plan/reserved", data={**reserve, **typed})
        assert refused.status_code == 422, typed
        assert words in field_error(refused.text, field), typed
        assert "Er is niets gereserveerd; verbeter:" in refused.text
        assert (await policy(world))["reserved"] == [], typed
    assert (await world.client.post("/officer/plan/reserved", data={**reserve, "csrf": "forged"})).status_code == 403

    made = await world.client.post("/officer/plan/reserved", data=reserve)
    assert (made.status_code, made.headers["location"]) == (303, "/officer/plan?policy=reserved#reserved-heading")
    assert (
        await world.client.post("/officer/plan/reserved", data={**reserve, "group": "age_45_plus"})
    ).status_code == 422
    one_left = await world.client.post(
        "/officer/plan/reserved", data={**reserve, "group": "age_45_plus", "places": "2"}
    )
    assert "Geef een heel aantal plekken van 1 tot en met 1." in field_error(one_left.text, "reserve-places-error")
    both = await world.client.post("/officer/plan/reserved", data={**reserve, "group": "age_45_plus", "places": "1"})
    assert both.status_code == 303
    replaced = await world.client.post("/officer/plan/reserved", data={**reserve, "places": "1"})
    assert replaced.status_code == 303
    standing = await policy(world)
    assert sorted((r["opportunity_id"], r["target_group"], r["places"]) for r in standing["reserved"]) == [
        (place["id"], "age_45_plus", 1),
        (place["id"], "woman", 1),
    ], "a group's reservation on a place is replaced, not added"
    assert len(standing["quotas"]) == 2, "the quotas stay as they were"
    full = {**reserve, "group": "refugee_with_permit", "places": "1"}
    assert (await world.client.post("/officer/plan/reserved", data=full)).status_code == 303
    no_room = await world.client.post("/officer/plan/reserved", data={**full, "group": "other"})
    no_room_said = field_error(no_room.text, "reserve-places-error")
    assert "Elke plek van deze vacature (3) is al voor andere doelgroepen gereserveerd." in no_room_said

    listed = await world.client.get("/officer/plan?policy=reserved")
    assert "De gereserveerde plekken zijn bewaard" in listed.text
    assert '<caption id="reserved-caption">Nu gereserveerd</caption>' in listed.text
    assert listed.text.count('<th scope="row" id="reserved-') == 3
    assert "Lasser Jansen</th>" in listed.text
    german = html.unescape((await world.client.get("/officer/plan?lang=de")).text)
    assert all(w in german for w in ("Reservierte Plätze", "Derzeit reserviert", "Oder Anteil (%)", "Entfernen"))
    english = html.unescape((await world.client.get("/officer/plan?lang=en")).text)
    assert all(w in english for w in ("Reserved places", "Reserved now", "Or share (%)", "Remove", "Reserve"))
    await world.client.get("/officer/plan?lang=nl")

    saved = await world.client.post("/officer/plan/policy", data=good)
    assert saved.status_code == 303
    assert len((await policy(world))["reserved"]) == 3, "saving the quotas keeps the reserved places"

    remove = {"csrf": csrf, "opportunity": place["id"], "group": "woman"}
    assert (await world.client.post("/officer/plan/reserved/remove", data={**remove, "csrf": ""})).status_code == 403
    gone = await world.client.post("/officer/plan/reserved/remove", data=remove)
    assert gone.status_code == 303
    assert {r["target_group"] for r in (await policy(world))["reserved"]} == {"age_45_plus", "refugee_with_permit"}
    twice = await world.client.post("/officer/plan/reserved/remove", data=remove)
    assert twice.status_code == 404
    assert len((await policy(world))["reserved"]) == 2

    before = await policy(world)
    for account in ("employer-1", "coach-1"):
        await sign_in(world, account)
        for path, data in (
            ("/officer/plan/policy", {**good, "share-woman": "50"}),
            ("/officer/plan/reserved", {**reserve, "group": "other", "places": "1"}),
            ("/officer/plan/reserved/remove", {**remove, "group": "age_45_plus"}),
        ):
            refused = await world.client.post(
                path, data={**data, "csrf": csrf_of((await world.client.get("/signin")).text)}
            )
            assert refused.status_code == 403, (account, path)
            assert "niet voor jouw rol" in refused.text
    assert await policy(world) == before


async def test_a_reservation_beyond_what_the_policy_holds_is_refused_with_a_sentence_not_an_error(
    world: World,
) -> None:
    place = await world.opportunity(places_total=3)
    many = [{"opportunity_id": str(uuid.uuid4()), "target_group": "woman", "places": 1} for _ in range(1000)]
    put = await world.client.put("/plans/policy", json={"reserved": many}, headers=world.officer())
    assert put.status_code == 200, put.text
    await sign_in(world, "officer-1")
    csrf = await page_csrf(world, "/officer/plan")
    reserve = {"csrf": csrf, "opportunity": place["id"], "group": "woman", "places": "1"}
    refused = await world.client.post("/officer/plan/reserved", data=reserve)
    assert refused.status_code == 422
    assert "Dat mag of kan niet" in refused.text
    assert len((await policy(world))["reserved"]) == 1000


async def test_in_a_region_of_more_than_500_open_places_any_of_them_can_be_reserved(world: World) -> None:
    oldest = await world.opportunity(title="Aaa oudste plek", places_total=2)
    for first in range(0, 500, 50):
        await asyncio.gather(*(world.opportunity(title=f"Plek {n:03d}") for n in range(first, first + 50)))
    await sign_in(world, "officer-1")
    shown = await world.client.get("/officer/plan")
    picker = shown.text[shown.text.index('id="reserve-opportunity"') :]
    picker = picker[: picker.index("</select>")]
    assert picker.count('<option value="') - picker.count('<option value="">') == 501, "every open place is offered"
    assert picker.index("Aaa oudste plek") < picker.index("Plek 000"), "by title"

    reserve = {"csrf": csrf_of(shown.text), "opportunity": oldest["id"], "group": "woman", "places": "2"}
    made = await world.client.post("/officer/plan/reserved", data=reserve)
    assert made.status_code == 303, made.text
    assert [r["opportunity_id"] for r in (await policy(world))["reserved"]] == [oldest["id"]]
    listed = await world.client.get("/officer/plan?policy=reserved")
    assert "Aaa oudste plek</th>" in listed.text, "the reserved place is named, not shown as an id"


def test_every_word_of_the_office_pages_exists_in_dutch_german_and_english() -> None:
    dynamic: dict[str, set[str]] = {
        "employer.done.": set(employer.DONE),
        "employer.status.": {"open", "stale", "closed"},
        "employer.kind.": {k.value for k in OpportunityKind},
        "employer.field.": {*employer.FIELDS, *employer.SKILL_FIELDS, "recognised"},
        "employer.hint.": {"essential_skills", "optional_skills", "hours", "postcode"},
        "employer.pstatus.": set(employer.STATUSES),
        "employer.reason.": {r.value for r in (*DeclineReason, *WithdrawReason, *EndReason)},
        "employer.country.": {"NL", "DE"},
        "officer.group.": {"all", *(g.value for g in TargetGroup)},
        "officer.bucket.": {"minute", "hour", "day"},
        "officer.metric.": set(METRICS),
    }
    errors = {
        *(f"officer.policy.error.{name}" for name in ("both", "places", "share")),
        *(f"officer.reserved.error.{name}" for name in ("opportunity", "group", "places", "full")),
    }
    assert_every_word_exists(
        [p for area in ("employer", "officer") for p in (TEMPLATES / area).glob("*.html")], dynamic, errors
    )


def test_charts_scale_to_a_round_top_and_leave_hidden_counts_empty() -> None:
    assert [charts.nice_top(v) for v in (0, 7, 11, 250, 774_000)] == [1.0, 10.0, 20.0, 500.0, 1_000_000.0]
    drawn = charts.bar_chart([("2026-11-23", 20), ("2026-11-30", None), ("2026-12-07", 0)], top=40)
    full, hidden, empty = drawn.bars
    assert (full.height, hidden.height, empty.height) == (64.0, 0.0, 0.0), "half of the 128 units of plot height"
    assert (full.value, hidden.value) == (20, None)
    assert full.y + full.height == drawn.baseline
    assert [t.label for t in drawn.ticks] == ["0", "20", "40"]
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    line = charts.line_chart([(start + dt.timedelta(hours=2), 50.0), (start, 100.0)], top=100)
    assert line.path == "M44.0,8.0 L312.0,72.0", "in time order: from the full top left to half at the right"
    assert (line.first_label, line.last_label) == ("2026-12-01", "2026-12-01")
    single = charts.line_chart([(start, 10.0)], top=100)
    assert (single.path, len(single.dots)) == ("", 1), "one point is a dot, not a line"
