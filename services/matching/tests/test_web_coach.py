"""The coach's pages over HTTP against the running service: what they show, whom they refuse, what forms change."""

from __future__ import annotations

import datetime as dt
import pathlib
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from services.matching.tests.conftest import COACH, World, open_world
from services.matching.web import i18n
from shared.events.contracts.vouchers import VoucherIssued
from tests.support.platform import Platform
from tests.support.ports import free_port

TEMPLATES = pathlib.Path(i18n.__file__).parent / "templates" / "coach"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html[:2000]
    return found.group(1)


async def signed_in(world: World, account: str) -> httpx.AsyncClient:
    """A browser-like client (its own cookies) signed in to the web UI as ``account``."""
    transport = httpx.ASGITransport(app=world.service.app, raise_app_exceptions=False)
    client = httpx.AsyncClient(transport=transport, base_url="http://matching")
    picker = await client.get("/signin")
    answer = await client.post("/signin", data={"account": account, "csrf": csrf_of(picker.text)})
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture
async def ui(platform: Platform) -> AsyncIterator[World]:
    """Matching with intake and notifications pointing at a port where nothing listens: names are unavailable."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with open_world(platform, intake_url=nowhere, notifications_url=nowhere) as world:
        yield world


async def test_the_coachs_pages_show_their_caseload_propose_and_save_searches_and_refuse_everyone_else(
    ui: World,
) -> None:
    mine = await ui.candidate()
    theirs = await ui.candidate(coach="coach-2")
    place = await ui.opportunity(title="BBL lasser Nijmegen")
    coach = await signed_in(ui, COACH)

    caseload = await coach.get("/coach")
    assert caseload.status_code == 200
    assert str(mine).split("-")[0] in caseload.text
    assert str(theirs).split("-")[0] not in caseload.text, "another coach's candidate is not listed"
    assert "draag voor bij een plek" in caseload.text, "the next action"
    assert "Namen zijn nu niet op te halen" in caseload.text, "intake does not answer: said, not a failure"
    home = await coach.get("/")
    assert home.headers.get("location") == "/coach", home.text

    page = await coach.get(f"/coach/candidates/{mine}")
    assert page.status_code == 200
    assert "BBL lasser Nijmegen" in page.text
    assert "essentiële vaardigheden" in page.text, "the suggestion's reasons, in Dutch"
    assert 'action="/coach/proposals"' in page.text
    csrf = csrf_of(page.text)

    for bad in (f"/coach/candidates/{theirs}", f"/coach/candidates/{uuid.uuid4()}"):
        refused = await coach.get(bad)
        assert refused.status_code == 404, bad
        assert "There is no such candidate in your caseload" in refused.text
    assert (await coach.get("/coach/candidates/not-an-id")).status_code == 404
    assert "<html" in (await coach.get("/coach/candidates/not-an-id")).text, "a page, not JSON"

    form = {"participant_id": str(mine), "opportunity_id": place["id"], "back": "candidate"}
    forged = await coach.post("/coach/proposals", data={**form, "csrf": "forged"})
    assert forged.status_code == 403
    missing = await coach.post("/coach/proposals", data=form)
    assert missing.status_code == 403
    assert (await ui.client.get("/proposals", headers=ui.coach())).json() == [], "no CSRF token, no proposal"
    not_mine = await coach.post("/coach/proposals", data={**form, "participant_id": str(theirs), "csrf": csrf})
    assert not_mine.status_code == 404
    assert "in your caseload" in not_mine.text
    garbled = await coach.post("/coach/proposals", data={**form, "opportunity_id": "x", "csrf": csrf})
    assert garbled.status_code == 404

    made = await coach.post("/coach/proposals", data={**form, "csrf": csrf})
    assert made.status_code == 303
    assert made.headers["location"] == f"/coach/candidates/{mine}#proposals"
    proposals = (await ui.client.get("/proposals", headers=ui.coach())).json()
    assert [(p["participant_id"], p["status"]) for p in proposals] == [(str(mine), "proposed")]
    again = await coach.post("/coach/proposals", data={**form, "csrf": csrf})
    assert again.status_code == 409
    assert "already has an open proposal" in again.text, "the API's reason, as a sentence on the page"
    assert "Traceback" not in again.text

    await ui.feed(
        VoucherIssued(
            application_id=uuid.uuid4(),
            programme_id=uuid.uuid4(),
            category="werkzoekend",
            participant_id=mine,
            voucher_id=uuid.uuid4(),
            course_id=uuid.uuid4(),
            provider_id=uuid.uuid4(),
            amount_cents=150_000,
            redeem_by=dt.datetime.now(dt.UTC) + dt.timedelta(days=300),
        )
    )
    page = await coach.get(f"/coach/candidates/{mine}")
    assert "voucher uitgegeven" in page.text, "vouchers' event on the timeline"
    assert "voorgedragen" in page.text
    card = re.search(r'data-proposal="([^"]+)"', page.text)
    assert card is not None
    proposal_id = card.group(1)

    pipeline = await coach.get("/coach/pipeline")
    assert pipeline.status_code == 200
    assert f'data-proposal="{proposal_id}"' in pipeline.text
    fragment = await coach.get(f"/coach/proposals/{proposal_id}/card")
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith("<li"), "a card, without the frame"
    assert 'data-state="proposed"' in fragment.text

    places = await coach.get("/coach/opportunities")
    assert places.status_code == 200
    assert "BBL lasser Nijmegen" in places.text
    detail = await coach.get(f"/coach/opportunities/{place['id']}")
    assert detail.status_code == 200
    assert "2 plekken: 1 vastgehouden, 0 bezet, 1 vrij" in detail.text
    assert (await coach.get(f"/coach/opportunities/{uuid.uuid4()}")).status_code == 404
    assert (await coach.get("/coach/opportunities/12")).status_code == 404

    searches = await coach.get("/coach/searches")
    assert searches.status_code == 200
    search = {"occupation": "welder", "postcode": "6811", "radius_km": "40"}
    assert (await coach.post("/coach/searches", data=search)).status_code == 403
    assert (await ui.client.get("/saved-searches", headers=ui.coach())).json() == []
    empty = await coach.post("/coach/searches", data={"csrf": csrf})
    assert empty.status_code == 422
    assert "give at least one of" in empty.text
    someone_elses = await coach.post("/coach/searches", data={"participant_id": str(theirs), "csrf": csrf})
    assert someone_elses.status_code == 404
    saved = await coach.post("/coach/searches", data={**search, "csrf": csrf})
    assert saved.status_code == 303
    for_mine = await coach.post("/coach/searches", data={"participant_id": str(mine), "csrf": csrf})
    assert for_mine.status_code == 303
    await ui.opportunity(title="Lasser Arnhem", postcode="6811 AA")
    await ui.opportunity(title="Lasser Groningen", postcode="9711 AA")
    listed = (await ui.client.get("/saved-searches", headers=ui.coach())).json()
    assert sorted(s["hits"] for s in listed) == [1, 1], "Arnhem fits both, Groningen neither (too far)"
    matched = [e for e in await ui.events(1) if e.type == "saved_search.matched"]
    assert len(matched) == 2
    assert {e.data["coach_id"] for e in matched} == {COACH}
    assert "Lasser Arnhem" in (await coach.get("/coach/searches")).text
    removed = await coach.post(f"/coach/searches/{listed[0]['id']}/delete", data={"csrf": csrf})
    assert removed.status_code == 303
    assert len((await ui.client.get("/saved-searches", headers=ui.coach())).json()) == 1

    other_coach = await signed_in(ui, "coach-2")
    assert (await other_coach.get(f"/coach/proposals/{proposal_id}/card")).status_code == 404
    assert (await other_coach.post(f"/coach/searches/{listed[1]['id']}/delete", data={"csrf": "x"})).status_code == 403
    stranger = csrf_of((await other_coach.get("/coach/searches")).text)
    gone = await other_coach.post(f"/coach/searches/{listed[1]['id']}/delete", data={"csrf": stranger})
    assert gone.status_code == 404, "another coach's saved search is not found"
    assert proposal_id not in (await other_coach.get("/coach/pipeline")).text

    for account in ("employer-1", "officer-1"):
        client = await signed_in(ui, account)
        for path in ("/coach", "/coach/pipeline", "/coach/opportunities", "/coach/searches", "/coach/live"):
            refused = await client.get(path)
            assert refused.status_code == 403, (account, path)
            assert "niet voor jouw rol" in refused.text
    anonymous = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=ui.service.app, raise_app_exceptions=False), base_url="http://matching"
    )
    assert (await anonymous.get("/coach")).headers["location"] == "/signin"
    assert (await anonymous.post("/coach/proposals", data={**form, "csrf": csrf})).status_code == 303

    live = await coach.get("/coach/live")
    assert live.status_code == 200, "notifications does not answer: the browser is told to try again later"
    assert live.text == "retry: 10000\n\n"

    await ui.erase(mine)
    async with ui.runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM timeline") == 0
        assert await conn.fetchval("SELECT count(*) FROM saved_searches WHERE participant_id IS NOT NULL") == 0


def test_every_word_of_the_coachs_pages_is_a_message_in_three_languages() -> None:
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"t\[[\"']([a-z_.]+)[\"']\]", path.read_text()))
    for language in i18n.LANGUAGES:
        assert used <= set(i18n.MESSAGES[language]), sorted(used - set(i18n.MESSAGES[language]))
    dynamic = [
        *(f"coach.status.{s}" for s in ("proposed", "interested", "interview", "placed", "retained", "declined")),
        *(f"coach.status.{s}" for s in ("withdrawn", "expired", "ended")),
        *(f"coach.kind.{k}" for k in ("vacancy", "bbl", "internship", "hybrid_teacher")),
        *(f"coach.trajectory.{s}" for s in ("intake", "active", "placed", "ended")),
        *(f"coach.column.{c}" for c in ("proposed", "interested", "interview", "placed", "retained", "closed")),
        *(f"coach.place_status.{s}" for s in ("open", "stale", "closed")),
    ]
    for language in i18n.LANGUAGES:
        assert set(dynamic) <= set(i18n.MESSAGES[language])
