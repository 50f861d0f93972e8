"""Everyone's notifications page in a real browser (Debian's Chromium), fed by the real notifications service.

Notifications handles events over JetStream and serves its feed over HTTP; matching's web UI reads
it with the signed-in person's token. A participant signs in with the development picker, reads
their own sentence in their own language with a link to their route, sees nothing that is not
theirs, and marks it read; the page reads well at desktop and phone width (axe-core, no sideways
scrolling). When notifications stops answering, the page says so in a sentence. Screenshots go to
``tests/artifacts/web-ui/``.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
from playwright.async_api import Browser

from services.matching.app import definition as matching
from services.notifications.app import definition as notifications
from services.notifications.tests.samples import sample
from shared.events.envelope import Envelope
from tests.support.platform import Platform, run_service, serve_over_http
from tests.support.ports import free_port
from tests.support.waiting import eventually
from tests.test_web_office import over_http, sign_in
from tests.test_web_ui import WIDTHS, check

SANNE = "Ihr Bildungsgutschein über 1.500,00\xa0€ wurde ausgestellt"


async def test_a_participant_reads_their_own_notifications_in_their_language_and_marks_them_read(
    platform: Platform, browser: Browser
) -> None:
    sanne, other = uuid.uuid4(), uuid.uuid4()
    async with (
        serve_over_http(platform, notifications) as feed_url,
        run_service(platform, matching) as web,
        over_http(web.app) as url,
    ):
        web.app.state.settings = web.settings.model_copy(update={"notifications_url": feed_url})
        await platform.enrol_all(
            [
                ("participant", "p-sanne", str(sanne)),
                ("participant", "p-other", str(other)),
                ("coach", "coach-anna", ""),
            ]
        )
        conn = await asyncpg.connect(platform.admin_dsn)
        try:
            for schema in ("notifications", "matching"):
                await conn.execute(f"UPDATE {schema}.accounts SET language = 'de' WHERE id = 'p-sanne'")
        finally:
            await conn.close()
        for key, participant in [("vouchers.voucher.issued.v1", p) for p in (sanne, other)] + [
            ("intake.participant.registered.v1", sanne)
        ]:
            event = Envelope.wrap(
                sample(key, participant_id=participant),
                region=platform.region,
                subject=str(participant),
            )
            await platform.js.publish(event.nats_subject, event.to_bytes(), headers={"Nats-Msg-Id": str(event.id)})

        async def feed_of(account: str, role: str = "participant") -> list[dict[str, Any]]:
            async with httpx.AsyncClient(base_url=feed_url) as client:
                answer = await client.get("/notifications", headers=platform.auth(role, account))
            found: list[dict[str, Any]] = answer.json()
            return found

        async def all_told() -> bool:
            told = [await feed_of("p-sanne"), await feed_of("p-other"), await feed_of("coach-anna", "coach")]
            return [len(t) for t in told] == [1, 1, 1]

        await eventually(all_told, timeout=30)
        (theirs,) = await feed_of("p-other")
        mine_id = (await feed_of("p-sanne"))[0]["id"]

        for width, size in WIDTHS.items():
            context = await browser.new_context(viewport=size, locale="en-GB")
            page = await context.new_page()
            await sign_in(page, url, "p-sanne")
            await page.click("header nav >> text=Benachrichtigungen")  # the account's language, not the browser's
            await page.wait_for_url(f"{url}/notifications")
            main = await page.inner_text("main")
            assert SANNE in main
            assert "Neu" in main, "unread is marked in words"
            assert theirs["id"] not in await page.content(), "another person's notification is never shown"
            assert [await a.get_attribute("href") for a in await page.locator("main a").all()] == ["/me"], (
                "the voucher's news leads to the participant's route"
            )
            await check(page, "notifications", width)
            await context.close()

        context = await browser.new_context(viewport=WIDTHS["phone"], locale="en-GB")
        page = await context.new_page()
        await sign_in(page, url, "p-sanne")
        await page.goto(f"{url}/notifications")
        await page.click("text=Als gelesen markieren")
        await page.wait_for_url(lambda u: "done=read" in u)
        main = await page.inner_text("main")
        assert "Die Benachrichtigung ist als gelesen markiert." in main
        assert SANNE in main
        assert await page.locator(".badge").count() == 0
        await check(page, "notifications-read", "phone")

        csrf = await page.get_attribute("form.signout input[name=csrf]", "value")
        assert csrf
        others = await page.request.post(f"{url}/notifications/{theirs['id']}/read", form={"csrf": csrf, "page": "1"})
        assert others.status == 404
        forged = await page.request.post(f"{url}/notifications/{mine_id}/read", form={"csrf": "forged", "page": "1"})
        assert forged.status == 403
        ((mine,), (still_theirs,)) = (await feed_of("p-sanne"), await feed_of("p-other"))
        assert mine["read_at"] is not None
        assert still_theirs["read_at"] is None
        await page.goto(f"{url}/notifications?page=0")
        assert "Diese Seite mit Benachrichtigungen gibt es nicht" in await page.inner_text("main")

        # A coach's entry leads to the candidate's page.
        coach = await browser.new_context(viewport=WIDTHS["desktop"], locale="en-GB")
        coach_page = await coach.new_page()
        await sign_in(coach_page, url, "coach-anna")
        await coach_page.goto(f"{url}/notifications")
        assert await coach_page.get_attribute("main a", "href") == f"/coach/candidates/{sanne}"
        await coach.close()

        web.app.state.settings = web.settings.model_copy(
            update={"notifications_url": f"http://127.0.0.1:{free_port()}"}
        )
        await page.goto(f"{url}/notifications")
        assert "Der Benachrichtigungsdienst antwortet gerade nicht" in await page.inner_text("main")
        await check(page, "notifications-unavailable", "phone")
        await context.close()
