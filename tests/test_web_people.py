"""The participant's route (``/me``) and the provider's vouchers (``/provider``) against the real services.

Intake and vouchers run over HTTP with real Postgres and NATS, entered through their APIs
(:func:`tests.support.seeded.seed` and a little more); matching's web UI reads them with the
signed-in person's own token, and its own proposals through its API's route function. A
participant sees their own applications and vouchers, the proposals made for them, trajectory and
consents and nobody else's; a provider sees the vouchers for its own courses only, a page at a
time; every other role is refused; a service that does not answer, or proposals that cannot be
read just then, is a sentence on a page that still renders; the words come in Dutch, German and
English. In Chromium both pages are reached with
the keyboard and read well at desktop and phone width (axe-core, no sideways scrolling; screenshots
in ``tests/artifacts/web-ui/``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import logging
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser

from services.intake.app import definition as intake
from services.matching.app import definition as matching
from services.matching.tests.test_web_signin import csrf_of
from services.matching.tests.words import assert_every_word_exists
from services.matching.web import people
from services.matching.web.employer import STATUSES as PROPOSAL_STATUSES
from services.vouchers.app import definition as vouchers
from services.vouchers.domain import Status
from shared.auth import Role
from shared.events.contracts.intake import ConsentPurpose, Situation, TrajectoryStatus
from shared.events.contracts.matching import OpportunityKind
from shared.events.contracts.vouchers import RejectionReason
from shared.logging import JsonFormatter
from tests.support.platform import Platform, RunningService, run_service, serve_over_http
from tests.support.ports import free_port
from tests.support.seeded import (
    ADMIN,
    COACH,
    EMPLOYER_ACCOUNT,
    OFFICER,
    PARTICIPANT_ACCOUNT,
    PROVIDER_ACCOUNT,
    VOUCHER_CENTS,
    Seeded,
    programme_body,
    seed,
)
from tests.support.waiting import eventually
from tests.test_web_office import over_http, sign_in, tab_to
from tests.test_web_ui import WIDTHS, check

TEMPLATES = Path(people.__file__).parent / "templates" / "people"
SANNE = "p-sanne"  # the seeded coach's participant, who got a voucher for the seeded provider's course
OTHER_PROVIDER = "provider-two"


@dataclass
class Region:
    """The seeded region plus a second provider, its course, and two more vouchers."""

    seeded: Seeded
    web: RunningService
    intake_url: str
    vouchers_url: str
    platform: Platform
    ahmed_application: dict[str, Any]  # PARTICIPANT_ACCOUNT's own, for the second provider's course
    lotte_application: dict[str, Any]  # another of the coach's participants, for the seeded course
    sanne_proposal: dict[str, Any]  # SANNE proposed by her coach for a vacancy at the seeded employer
    lotte_proposal: dict[str, Any]  # the other participant, for the same vacancy

    @property
    def client(self) -> httpx.AsyncClient:
        return self.web.client

    async def sign_in(self, account: str) -> None:
        """Sign in to the web UI with the development picker."""
        picker = await self.client.get("/signin")
        answer = await self.client.post("/signin", data={"account": account, "csrf": csrf_of(picker.text)})
        assert answer.status_code == 303, answer.text

    def point(self, **urls: str) -> None:
        """Point matching's web UI at other addresses of intake or vouchers (``intake_url=...``)."""
        self.web.app.state.settings = self.web.settings.model_copy(update=urls)


def _created(answer: httpx.Response) -> Any:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def _apply(client: httpx.AsyncClient, programme: uuid.UUID, headers: dict[str, str], **body: Any) -> Any:
    """File an application once vouchers has heard of its participant and course (intake's events)."""

    async def filed() -> httpx.Response | None:
        answer = await client.post(f"/programmes/{programme}/applications", json=body, headers=headers)
        return answer if answer.status_code not in (403, 422) else None

    answer = await eventually(filed)
    assert answer is not None
    return _created(answer)


@pytest.fixture
async def region(platform: Platform) -> AsyncIterator[Region]:
    async with contextlib.AsyncExitStack() as stack:
        intake_url = await stack.enter_async_context(serve_over_http(platform, intake))
        vouchers_url = await stack.enter_async_context(serve_over_http(platform, vouchers))
        web = await stack.enter_async_context(
            run_service(platform, matching, intake_url=intake_url, vouchers_url=vouchers_url)
        )
        at_intake = await stack.enter_async_context(httpx.AsyncClient(base_url=intake_url))
        at_vouchers = await stack.enter_async_context(httpx.AsyncClient(base_url=vouchers_url))
        seeded = await seed(platform, at_intake, at_vouchers)
        admin, coach = platform.auth("admin", ADMIN), platform.auth("coach", COACH)

        provider = _created(
            await at_intake.post("/providers", json={"kvk_number": "11223344", "name": "Lasschool Oost"}, headers=admin)
        )
        account = {"id": OTHER_PROVIDER, "role": "provider", "party": provider["id"]}
        _created(await at_intake.post("/accounts", json=account, headers=admin))
        course = _created(
            await at_intake.post(
                f"/providers/{provider['id']}/courses",
                json={"title": "TIG-lassen", "price_cents": VOUCHER_CENTS, "duration_hours": 24},
                headers=admin,
            )
        )
        ahmed = await _apply(
            at_vouchers,
            seeded.programme_id,
            platform.auth("participant", PARTICIPANT_ACCOUNT),
            category="zoek_werk_techniek",
            course_id=course["id"],
        )
        lotte = _created(
            await at_intake.post(
                "/participants",
                json={
                    "name": "Lotte Bakker",
                    "situation": Situation.WORKING_IN_TECH,
                    "postcode": "6812 CD",
                    "consents": [ConsentPurpose.MATCHING],
                },
                headers=coach,
            )
        )
        lotte_application = await _apply(
            at_vouchers,
            seeded.programme_id,
            coach,
            participant_id=lotte["id"],
            category="werk_in_techniek",
            course_id=str(seeded.course_id),
            amount_cents=VOUCHER_CENTS // 2,
        )
        consent = {"purpose": ConsentPurpose.MATCHING, "given": True}
        path = f"/participants/{seeded.participant_id}/consents"
        _created(await at_intake.post(path, json=consent, headers=coach))
        # Matching's registry of accounts: the seeded ones (straight away, not waiting for intake's
        # events), and a participant account for the coach's participant.
        await platform.enrol_all(
            [
                (Role.PARTICIPANT, SANNE, str(seeded.participant_id)),
                (Role.PARTICIPANT, PARTICIPANT_ACCOUNT, str(seeded.own_participant_id)),
                (Role.PROVIDER, PROVIDER_ACCOUNT, str(seeded.provider_id)),
                (Role.PROVIDER, OTHER_PROVIDER, provider["id"]),
                (Role.COACH, COACH, COACH),
                (Role.EMPLOYER, EMPLOYER_ACCOUNT, str(seeded.employer_id)),
                (Role.ADMIN, ADMIN, ADMIN),
            ]
        )
        path = f"/participants/{seeded.participant_id}"
        _created(await at_intake.patch(path, json={"postcode": "6811 AB"}, headers=coach))  # within reach
        sanne, other = await _proposed(web.client, coach, seeded.employer_id, seeded.participant_id, lotte["id"])
        yield Region(seeded, web, intake_url, vouchers_url, platform, ahmed, lotte_application, sanne, other)


async def _proposed(
    matching_api: httpx.AsyncClient, coach: dict[str, str], employer_id: uuid.UUID, *participants: object
) -> list[Any]:
    """A vacancy at the employer, and a proposal of each participant for it, by their coach through matching's API."""
    vacancy = {
        "employer_id": str(employer_id),
        "kind": "vacancy",
        "title": "Monteur installatietechniek",
        "occupation": "hvac-installer",
        "hours": 36,
        "start_date": "2027-03-01",
        "postcode": "6811 AB",
        "open_until": "2099-12-31",
        "places_total": 2,
    }

    async def published() -> Any:
        answer = await matching_api.post("/opportunities", json=vacancy, headers=coach)
        return answer.json() if answer.status_code == 201 else None  # until employer.registered arrived

    opportunity = await eventually(published)

    async def proposed(participant: object) -> Any:
        body = {"participant_id": str(participant), "opportunity_id": opportunity["id"]}
        answer = await matching_api.post("/proposals", json=body, headers=coach)
        return answer.json() if answer.status_code == 201 else None  # until the postcode and consent arrived

    return [await eventually(functools.partial(proposed, participant)) for participant in participants]


async def test_a_participant_sees_their_own_route_and_nobody_elses(region: Region) -> None:
    seeded = region.seeded
    await region.sign_in(SANNE)
    landed = await region.client.get("/")
    assert (landed.status_code, landed.headers["location"]) == (303, "/me")
    mine = await region.client.get("/me")
    assert mine.status_code == 200, mine.text
    text = html.unescape(mine.text)
    assert f'id="voucher-{seeded.application_id}"' in text
    assert region.ahmed_application["id"] not in text, "another participant's application"
    assert region.lotte_application["id"] not in text
    assert "Ik werk in de techniek: €\xa01.000,00" in text, "category and amount, written the Dutch way"
    assert "Voucher uitgegeven" in text
    assert "<dd>PLC programmeren</dd>" in text, "the course's title, from vouchers' catalogue"
    assert re.search(r'<time datetime="[^"]+">\d{1,2} [a-z]+ \d{4}</time>', text), "use by, a Dutch date"
    assert "Je bent aangemeld." in text, "the trajectory, from intake"
    assert re.search(r"Voorstellen voor werkplekken</th>\s*<td>Gegeven op \d", text), "consent, from intake"
    assert re.search(r"Berichten per e-mail</th>\s*<td>Niet gegeven</td>", text)
    assert '<caption id="consents-caption">' in text
    assert 'aria-current="page">Mijn traject</a>' in text

    proposal = region.sanne_proposal["id"]
    assert f'<h3 id="proposal-{proposal}">Monteur installatietechniek</h3>' in text
    assert region.lotte_proposal["id"] not in text, "another participant's proposal"
    assert "Voorgesteld: wacht op de werkgever" in text, "the status in words"
    assert "De werkgever laat weten of er interesse is." in text
    assert "<dd>Smit Installatie</dd>" in text, "the employer's name, from intake's event"
    assert "<dd>Vacature</dd>" in text
    assert "<dd>6811AB, Nederland</dd>" in text
    assert re.search(r'Loopt tot</dt><dd><time datetime="[^"]+">\d{1,2} [a-z]+ \d{4}</time>', text), "until when"
    assert region.sanne_proposal["explanation"] not in text, "the coach's material"

    declined = await region.client.post(
        f"/proposals/{proposal}/decline",
        json={"reason": "experience"},
        headers=region.platform.auth("employer", EMPLOYER_ACCOUNT),
    )
    assert declined.status_code == 200, declined.text
    answered = html.unescape((await region.client.get("/me?lang=de")).text)
    assert "Kommt nicht zustande" in answered
    assert "Dieser Vorschlag kommt nicht zustande. Ihr Coach sucht mit Ihnen weiter." in answered
    assert re.search(r"Geändert am</dt><dd><time[^>]*>\d{1,2}\. [A-Za-zä]+ \d{4}</time>", answered), "when answered"
    assert "Gilt bis" not in answered, "no longer open"
    assert "<dd>6811AB, Niederlande</dd>" in answered

    await region.sign_in(PARTICIPANT_ACCOUNT)
    theirs = html.unescape((await region.client.get("/me?lang=en")).text)
    assert f'id="voucher-{region.ahmed_application["id"]}"' in theirs
    assert str(seeded.application_id) not in theirs
    assert "Ik zoek werk in de techniek: €1,000.00" in theirs, "the programme's category, the amount the English way"
    assert "My route" in theirs
    assert "<dd>TIG-lassen</dd>" in theirs
    assert "You have not been proposed to an employer yet." in theirs
    assert "proposal-" not in theirs


async def test_a_provider_sees_the_vouchers_for_its_own_courses_a_page_at_a_time(
    region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = region.seeded
    await region.sign_in(PROVIDER_ACCOUNT)
    assert (await region.client.get("/")).headers["location"] == "/provider"
    listed = await region.client.get("/provider")
    assert listed.status_code == 200, listed.text
    text = html.unescape(listed.text)
    assert str(seeded.voucher_id) in text
    assert region.lotte_application["voucher_id"] in text
    assert region.ahmed_application["voucher_id"] not in text, "a voucher for another provider's course"
    assert text.index(region.lotte_application["voucher_id"]) < text.index(str(seeded.voucher_id)), "newest first"
    assert text.count("PLC programmeren") == 2, "the course's title, from intake"
    assert "€\xa01.000,00" in text
    assert "€\xa0500,00" in text
    assert "Voucher uitgegeven" in text
    assert '<caption id="vouchers-caption">' in text
    assert '<th scope="col">Gedeclareerd</th>' in text

    lotte = region.lotte_application["voucher_id"]
    async with httpx.AsyncClient(base_url=region.vouchers_url) as client:
        claim = {"attendance_pct": 100, "completed": True}
        headers = region.platform.auth("provider", PROVIDER_ACCOUNT)
        _created(await client.post(f"/vouchers/{lotte}/redemption", json=claim, headers=headers))
        claimed = html.unescape((await region.client.get("/provider")).text)
        assert re.search(
            rf"{lotte}</th>.*?Gedeclareerd</td>.*?<td>Ja</td>\s*<td>Nog niet \(€\xa0500,00 toegekend\)", claimed, re.S
        )
        headers = region.platform.auth("programme_officer", OFFICER)
        _created(await client.post(f"/vouchers/{lotte}/settlement", headers=headers))
    paid = html.unescape((await region.client.get("/provider")).text)
    assert re.search(rf"{lotte}</th>.*?Uitbetaald</td>.*?<td>Ja</td>\s*<td>Ja, €\xa0500,00</td>", paid, re.S)
    assert re.search(rf"{seeded.voucher_id}</th>.*?<td>Nee</td>\s*<td>Nee</td>", paid, re.S), "not claimed yet"

    await region.sign_in(OTHER_PROVIDER)
    other = html.unescape((await region.client.get("/provider")).text)
    assert region.ahmed_application["voucher_id"] in other
    assert str(seeded.voucher_id) not in other
    assert "TIG-lassen" in other

    await region.sign_in(PROVIDER_ACCOUNT)
    monkeypatch.setattr(people, "PAGE_SIZE", 1)
    first = html.unescape((await region.client.get("/provider")).text)
    assert region.lotte_application["voucher_id"] in first, "the most recently applied for first"
    assert str(seeded.voucher_id) not in first
    assert '<a href="/provider?page=2" rel="next">' in first
    second = html.unescape((await region.client.get("/provider?page=2&lang=de")).text)
    assert str(seeded.voucher_id) in second
    assert region.lotte_application["voucher_id"] not in second
    assert '<a href="/provider?page=1" rel="prev">' in second
    assert "1.000,00\xa0€" in second, "written the German way"
    assert "Gutscheine für Ihre Kurse, Seite 2" in second
    past = await region.client.get("/provider?page=3&lang=en")
    assert (past.status_code, "There are no more vouchers." in past.text) == (200, True)
    for bad in ("0", "abc", "9999999"):
        refused = await region.client.get(f"/provider?page={bad}&lang=nl")
        assert refused.status_code == 400, bad
        assert "Die pagina met vouchers bestaat niet" in refused.text


async def test_an_officers_note_on_a_rejection_is_for_officers_only_and_goes_with_the_participant(
    region: Region, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    note = "Ahmed El Amrani belde: zijn diploma ontbreekt nog"
    officer = region.platform.auth("programme_officer", OFFICER)
    participant = region.platform.auth("participant", PARTICIPANT_ACCOUNT)
    async with httpx.AsyncClient(base_url=region.vouchers_url) as client:
        body = programme_body(datetime.now(UTC)) | {"name": "Vakmanschap met toets", "auto_approve": False}
        programme = _created(await client.post("/programmes", json=body, headers=officer))
        applied = _created(
            await client.post(
                f"/programmes/{programme['id']}/applications",
                json={"category": "zoek_werk_techniek", "course_id": str(region.seeded.course_id)},
                headers=participant,
            )
        )
        assert applied["status"] == "submitted", applied
        path = f"/applications/{applied['id']}"
        rejected = _created(
            await client.post(f"{path}/reject", json={"reason": "incomplete", "note": note}, headers=officer)
        )
        assert (rejected["reason"], rejected["officer_note"]) == ("incomplete", note)
        assert _created(await client.get(path, headers=officer))["officer_note"] == note

        listed = await client.get("/applications", headers=participant)
        [mine] = [a for a in _created(listed) if a["id"] == applied["id"]]
        assert (mine["status"], mine["reason"], mine["officer_note"]) == ("rejected", "incomplete", None)
        one = await client.get(path, headers=participant)
        assert (one.json()["reason"], one.json()["officer_note"]) == ("incomplete", None)
        assert "diploma" not in listed.text + one.text
        await region.sign_in(PARTICIPANT_ACCOUNT)
        page = html.unescape((await region.client.get("/me")).text)
        assert re.search(r"Reden</dt><dd>De aanvraag was niet compleet</dd>", page), "the code, in words"
        assert page.index(applied["id"]) < page.index(region.ahmed_application["id"]), "newest first"
        assert "diploma" not in page

        events = await region.platform.stream_messages("VOUCHERS")
        assert any(b"application.rejected" in e for e in events)
        assert not any(b"diploma" in e for e in events)
        routes = {getattr(r, "route", None) for r in caplog.records}
        assert "/applications/{application_id}/reject" in routes, "the services' logs were read"
        assert "diploma" not in "\n".join(JsonFormatter("test").format(r) for r in caplog.records)

        async with httpx.AsyncClient(base_url=region.intake_url) as at_intake:
            gone = await at_intake.delete("/participants/me", headers=participant)
            assert gone.status_code == 204, gone.text

        async def forgotten() -> dict[str, Any] | None:
            found: dict[str, Any] = (await client.get(path, headers=officer)).json()
            return found if found["participant_id"] != str(region.seeded.own_participant_id) else None

        after = await eventually(forgotten)
        assert after is not None
        assert (after["status"], after["reason"], after["officer_note"]) == ("rejected", "incomplete", None)


async def test_other_roles_are_refused_as_on_every_role_page(region: Region) -> None:
    assert (await region.client.get("/me")).headers["location"] == "/signin", "not signed in"
    assert (await region.client.get("/provider")).headers["location"] == "/signin"
    refusals = {
        COACH: ("/me", "/provider"),
        EMPLOYER_ACCOUNT: ("/me", "/provider"),
        ADMIN: ("/me", "/provider"),
        SANNE: ("/provider",),
        PROVIDER_ACCOUNT: ("/me",),
    }
    for account, paths in refusals.items():
        await region.sign_in(account)
        for path in paths:
            refused = await region.client.get(f"{path}?lang=nl")
            assert refused.status_code == 403, (account, path)
            assert "Deze pagina is niet voor jouw rol" in refused.text, (account, path)
            assert "voucher-" not in refused.text


async def test_a_service_that_does_not_answer_is_a_sentence_on_a_page_that_still_renders(region: Region) -> None:
    seeded = region.seeded
    nowhere = f"http://127.0.0.1:{free_port()}"
    await region.sign_in(SANNE)

    region.point(vouchers_url=nowhere)
    no_vouchers = await region.client.get("/me")
    assert no_vouchers.status_code == 200
    assert "De vouchersdienst antwoordt nu niet" in no_vouchers.text
    assert "Voorstellen voor werkplekken" in no_vouchers.text, "the consents still show"
    assert "Je bent aangemeld." in no_vouchers.text

    region.point(intake_url=nowhere, vouchers_url=region.vouchers_url)
    no_intake = await region.client.get("/me?lang=de")
    assert no_intake.status_code == 200
    assert no_intake.text.count("Der Dienst mit Ihren Daten antwortet gerade nicht") == 2, "trajectory and consents"
    assert f'id="voucher-{seeded.application_id}"' in no_intake.text, "the vouchers still show"

    assert f'id="proposal-{region.sanne_proposal["id"]}"' in no_intake.text, "the proposals still show"

    await region.sign_in(PROVIDER_ACCOUNT)
    no_titles = html.unescape((await region.client.get("/provider?lang=en")).text)
    assert "courses show their reference instead of their name" in no_titles
    assert f"reference {str(seeded.course_id).split('-')[0]}" in no_titles
    assert str(seeded.voucher_id) in no_titles

    region.point(vouchers_url=nowhere)
    down = await region.client.get("/provider")
    assert down.status_code == 200
    assert "The vouchers service is not answering right now" in down.text


async def test_proposals_that_cannot_be_read_just_then_are_a_sentence_on_a_page_that_still_renders(
    region: Region,
) -> None:
    await region.sign_in(SANNE)
    holder, watcher = await asyncpg.connect(region.platform.admin_dsn), await asyncpg.connect(region.platform.admin_dsn)
    try:
        async with holder.transaction():
            # The proposals are locked away (a migration, say); the page's read waits on the lock
            # until an operator cancels it, as one cancels a stuck statement.
            await holder.execute("LOCK TABLE matching.proposals IN ACCESS EXCLUSIVE MODE")
            answer = asyncio.create_task(region.client.get("/me?lang=en"))

            async def stuck() -> int | None:
                pid: int | None = await watcher.fetchval(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%AS status_since%'"
                )
                return pid

            assert await watcher.fetchval("SELECT pg_cancel_backend($1)", await eventually(stuck))
            page = await answer
    finally:
        await holder.close()
        await watcher.close()
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Your proposals cannot be read right now" in text
    assert "proposal-" not in text
    assert f'id="voucher-{region.seeded.application_id}"' in text, "the vouchers still show"
    assert "You are registered." in text, "and the trajectory"
    again = html.unescape((await region.client.get("/me")).text)
    assert f'id="proposal-{region.sanne_proposal["id"]}"' in again, "back once they can be read"


async def test_both_pages_read_well_at_every_width_and_are_reached_with_the_keyboard(
    region: Region, browser: Browser
) -> None:
    async with over_http(region.web.app) as url:
        for width, size in WIDTHS.items():
            for account, path, heading in ((SANNE, "/me", "My route"), (PROVIDER_ACCOUNT, "/provider", "Vouchers")):
                context = await browser.new_context(viewport=size, locale="en-GB")
                page = await context.new_page()
                await sign_in(page, url, account)  # the keyboard alone
                assert page.url == f"{url}{path}", "where the role lands"
                assert (await page.inner_text("h1")).startswith(heading)
                await tab_to(page, "el.classList.contains('table-wrap')")  # a wide table scrolls by keyboard too
                await check(page, path.strip("/"), width)
                await context.close()


def test_every_word_of_the_people_pages_exists_in_dutch_german_and_english() -> None:
    dynamic: dict[str, set[str]] = {
        "voucher.status.": {s.value for s in Status},
        "me.next.": {s.value for s in Status},
        "me.trajectory.": {s.value for s in TrajectoryStatus},
        "me.purpose.": {p.value for p in ConsentPurpose},
        "me.reason.": {r.value for r in RejectionReason},
        "provider.paid.": {"settled", "redeemed"},
        "me.proposal.status.": set(PROPOSAL_STATUSES),
        "me.proposal.next.": set(PROPOSAL_STATUSES),
        "employer.kind.": {k.value for k in OpportunityKind},
        "me.country.": {"NL", "DE"},
    }
    assert_every_word_exists(TEMPLATES.glob("*.html"), dynamic, also={"nav.me", "nav.provider", "provider.bad_page"})
