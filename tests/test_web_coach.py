"""The coach's pages in a real browser: keyboard alone, live updates through the SSE relay, phone width, axe-core.

Intake, matching and notifications are served over HTTP. A coach registers someone at intake (their
name comes from there), signs in with the keyboard alone, opens the candidate, reads the explained
suggestions and proposes; the employer answers through matching's API, and the proposal's new state
appears on the open page without reloading it (notifications' stream, relayed by matching). A saved
search alerts live when a fitting place opens. Every coach page is checked at desktop and phone
width (no sideways scrolling) with axe-core; screenshots are kept under ``tests/artifacts/web-ui/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import httpx
from playwright.async_api import Browser, Page

from services.intake.app import definition as intake
from services.matching.app import definition as matching
from services.notifications.app import definition as notifications
from tests.support.platform import Platform, serve_over_http
from tests.support.waiting import eventually
from tests.test_web_ui import WIDTHS, check

COACH = "coach-anna"
TODAY = dt.date.today()


def opening(employer_id: str, title: str, postcode: str) -> dict[str, Any]:
    return {
        "employer_id": employer_id,
        "kind": "vacancy",
        "title": title,
        "occupation": "welder",
        "hours": 36,
        "start_date": (TODAY + dt.timedelta(days=30)).isoformat(),
        "postcode": postcode,
        "open_until": (TODAY + dt.timedelta(days=90)).isoformat(),
        "places_total": 2,
    }


async def tab_to(page: Page, selector: str, presses: int = 60) -> None:
    """Press Tab until the focused element matches ``selector`` (keyboard alone, no clicks)."""
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def test_a_coach_proposes_with_the_keyboard_and_sees_the_employers_answer_arrive_live(
    platform: Platform, browser: Browser
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        intake_url = await stack.enter_async_context(serve_over_http(platform, intake))
        notifications_url = await stack.enter_async_context(serve_over_http(platform, notifications))
        url = await stack.enter_async_context(
            serve_over_http(platform, matching, intake_url=intake_url, notifications_url=notifications_url)
        )
        api = {
            name: await stack.enter_async_context(httpx.AsyncClient(base_url=base))
            for name, base in (("intake", intake_url), ("matching", url))
        }
        admin, coach = await platform.login("admin", "dev-admin"), await platform.login("coach", COACH)
        employer = await api["intake"].post(
            "/employers",
            json={"kvk_number": "12345678", "name": "Smit Metaal", "sector": "metaal", "employee_count": 40},
            headers=admin,
        )
        assert employer.status_code == 201, employer.text
        employer_id = employer.json()["id"]
        hr = await platform.login("employer", "smit-hr", employer_id)
        person = await api["intake"].post(
            "/participants",
            json={
                "name": "Sanne de Vries",
                "situation": "looking_for_work",
                "postcode": "6811 AB",
                "skills": ["tig-welding", "mag-welding", "read-technical-drawings"],
                "desired_occupations": ["welder"],
                "consents": ["matching"],
            },
            headers=coach,
        )
        assert person.status_code == 201, person.text
        participant = person.json()["id"]

        async def published() -> Any:
            answer = await api["matching"].post(
                "/opportunities", json=opening(employer_id, "Lasser Nijmegen", "6511"), headers=coach
            )
            return answer.json() if answer.status_code == 201 else None  # until employer.registered arrived

        place = await eventually(published)

        async def known() -> bool:
            return (await api["matching"].get(f"/candidates/{participant}", headers=coach)).status_code == 200

        await eventually(known)

        context = await browser.new_context(viewport=WIDTHS["desktop"], locale="en-GB")
        # Closed before the servers stop: a server waits for its open event streams to end.
        stack.push_async_callback(context.close)
        page = await context.new_page()
        await page.goto(f"{url}/signin")
        await tab_to(page, "#account")
        await page.keyboard.press("ArrowDown")  # dev-admin, then coach-anna (sorted by role)
        await page.keyboard.press("Tab")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/coach")
        assert "Sanne de Vries" in await page.inner_text("main"), "the name comes from intake"

        await tab_to(page, f'a[href="/coach/candidates/{participant}#candidate"]')
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/coach/candidates/{participant}#candidate")
        detail = await page.inner_text("#candidate")
        assert "Lasser Nijmegen" in detail
        assert "essential skills" in detail, "the suggestion's reasons"
        await tab_to(page, "form[action='/coach/proposals'] button")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/coach/candidates/{participant}#proposals")
        card = page.locator("#candidate [data-proposal]")
        assert await card.get_attribute("data-state") == "proposed"
        proposal = await card.get_attribute("data-proposal")
        await page.wait_for_selector("#live[data-connected]", state="attached")
        await page.evaluate("window.notReloaded = true")

        answered = await api["matching"].post(f"/proposals/{proposal}/interested", headers=hr)
        assert answered.status_code == 200, answered.text
        await page.wait_for_selector(f'[data-proposal="{proposal}"][data-state="interested"]', timeout=30_000)
        assert await page.evaluate("window.notReloaded === true"), "updated in place, not reloaded"
        assert "employer interested" in await page.inner_text(f'[data-proposal="{proposal}"]')
        # The alert is notifications' sentence, in the account's language (Dutch: none was chosen).
        assert "interesse" in await page.inner_text("#live li"), "the alert is shown"
        await check(page, "coach-candidate-live", "desktop")

        await page.goto(f"{url}/coach/searches")
        await page.select_option("#search-occupation", "welder")
        await page.fill("#search-postcode", "6811")
        await page.click("form.search-form button")
        await page.wait_for_url(f"{url}/coach/searches")
        await page.wait_for_selector("#live[data-connected]", state="attached")
        fits = await api["matching"].post(
            "/opportunities", json=opening(employer_id, "Lasser Arnhem", "6812"), headers=coach
        )
        assert fits.status_code == 201, fits.text
        await page.wait_for_selector("#live li", timeout=30_000)
        assert "zoekopdrachten" in await page.inner_text("#live li")

        pages = {
            "coach-caseload": "/coach",
            "coach-candidate": f"/coach/candidates/{participant}",
            "coach-pipeline": "/coach/pipeline",
            "coach-places": "/coach/opportunities",
            "coach-place": f"/coach/opportunities/{place['id']}",
            "coach-searches": "/coach/searches",
            "coach-not-found": "/coach/candidates/nobody",
        }
        for width, size in WIDTHS.items():
            context = await browser.new_context(viewport=size, locale="nl-NL")
            stack.push_async_callback(context.close)
            page = await context.new_page()
            await page.goto(f"{url}/signin")
            await page.select_option("#account", COACH)
            await page.click("form[action='/signin'] button")
            await page.wait_for_url(f"{url}/coach")
            for name, path in pages.items():
                await page.goto(f"{url}{path}")
                await check(page, name, width)
