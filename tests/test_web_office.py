"""The employer's and programme officer's pages in a real browser (Debian's Chromium).

An employer answers proposals and publishes a place with the keyboard alone; an officer reads the
dashboard (charts drawn, their numbers in tables, vouchers' budgets) and runs the plan. Every page
is checked at desktop and phone width (no sideways scrolling) and with axe-core (no serious or
critical findings); screenshots go to ``tests/artifacts/web-ui/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from playwright.async_api import Browser, Page

from services.matching.tests.conftest import World
from services.matching.tests.conftest import world as world  # the fixture: matching with two employers
from services.vouchers.app import definition as vouchers
from shared.events.contracts.intake import TargetGroup
from shared.tooling.demo.dataset import programme_body
from tests.support.platform import serve_over_http
from tests.support.ports import free_port
from tests.support.waiting import eventually
from tests.test_web_ui import WIDTHS, check

PAGES = {
    "employer": ("/employer", "/employer/new", "/employer/proposals"),
    "officer-1": ("/officer", "/officer/plan"),
}


@contextlib.asynccontextmanager
async def over_http(app: Any) -> AsyncIterator[str]:
    """The already running app (its lifespan is the fixture's) served by uvicorn too, for the browser."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    try:
        await eventually(started, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def tab_to(page: Page, condition: str, limit: int = 80) -> None:
    """Press Tab until ``condition`` (JavaScript about ``el``, the focused element) holds."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"(() => {{ const el = document.activeElement; return Boolean({condition}); }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {condition}")


async def sign_in(page: Page, url: str, account: str) -> None:
    """The development picker, with the keyboard: Tab to the list, arrow down to the account, Enter."""
    await page.goto(f"{url}/signin")
    await tab_to(page, "el.id === 'account'")
    options = await page.evaluate("[...document.querySelectorAll('#account option')].map(o => o.value)")
    current = await page.evaluate("document.querySelector('#account').selectedIndex")
    for _ in range(options.index(account) - current):
        await page.keyboard.press("ArrowDown")
    assert await page.evaluate("document.querySelector('#account').value") == account
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await page.wait_for_url(lambda u: not u.endswith("/signin"))


async def status_of(world: World, proposal_id: str) -> str:
    answer = await world.client.get(f"/proposals/{proposal_id}", headers=world.admin())
    status: str = answer.json()["status"]
    return status


async def test_employer_and_officer_pages_read_well_everywhere_and_work_with_the_keyboard_alone(
    world: World, browser: Browser
) -> None:
    place = await world.opportunity(title="BBL lasser Smit", places_total=3)
    women = [await world.candidate(target_groups=[TargetGroup.WOMAN]) for _ in range(11)]
    proposals = [(await world.propose(p, place)).json()["id"] for p in women[:2]]
    open_place = await world.opportunity(title="Monteur Bakker, dagdienst in Arnhem", places_total=4)
    assert (await world.propose(women[2], open_place)).status_code == 201

    async with serve_over_http(world.platform, vouchers) as vouchers_url, over_http(world.service.app) as url:
        await world.platform.enrol_all([("programme_officer", "officer-1", "officer-1")])
        async with httpx.AsyncClient(base_url=vouchers_url) as client:
            body = programme_body(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
            assert (await client.post("/programmes", json=body, headers=world.officer())).status_code == 201
        settings = world.service.app.state.settings
        world.service.app.state.settings = settings.model_copy(update={"vouchers_url": vouchers_url})

        # en-US: the date fields then take month, day, year as typed.
        context = await browser.new_context(viewport=WIDTHS["desktop"], locale="en-US")
        page = await context.new_page()
        await sign_in(page, url, "employer-1")
        assert page.url == f"{url}/employer"

        # Answer both proposals with the keyboard: interested in the first, decline the second with a reason.
        await tab_to(page, "el.getAttribute('href') === '/employer/proposals'")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/employer/proposals")
        listed = await page.content()
        first, second = sorted(proposals, key=listed.find)
        await tab_to(page, f"el.form && el.form.action.endsWith('/{first}/interested')")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/employer/proposals?done=interested")
        assert "Your answer is saved: interested." in await page.inner_text("main")
        await tab_to(page, f"el.id === 'reason-{second}'")
        await page.keyboard.press("ArrowDown")
        assert await page.evaluate("document.activeElement.value") == "skills"
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent.trim()") == "Decline"
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/employer/proposals?done=declined")
        assert (await status_of(world, first), await status_of(world, second)) == ("interested", "declined")

        # Publish a place with the keyboard: every field reached by Tab, typed, sent with Enter.
        await page.goto(f"{url}/employer")
        await tab_to(page, "el.getAttribute('href') === '/employer/new'")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/employer/new")
        start = dt.date.today() + dt.timedelta(days=30)
        until = dt.date.today() + dt.timedelta(days=90)
        typed = {
            "f-title": "Lasser via toetsenbord",
            "f-occupation": "welder",  # a closed list picks the option whose label starts with what is typed
            "f-hours": "32",
            "f-start_date": start.strftime("%m%d%Y"),
            "f-postcode": "6511 AB",
            "f-open_until": until.strftime("%m%d%Y"),
        }
        for field, text in typed.items():
            await tab_to(page, f"el.id === '{field}'")
            await page.keyboard.type(text)
        chosen = "['f-occupation', 'f-start_date', 'f-open_until'].map(id => document.getElementById(id).value)"
        assert await page.evaluate(chosen) == ["welder", start.isoformat(), until.isoformat()]
        await tab_to(page, "el.id === 'f-places_total'")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/employer?done=created")
        assert "Lasser via toetsenbord" in await page.inner_text("main")

        # Close a place with the keyboard: the button leads to a page that says what closing does; Cancel
        # goes back and changes nothing, "Yes, close" closes.
        ask = f"/employer/opportunities/{place['id']}/close"
        for answer in ("Cancel", "Yes, close"):
            await tab_to(page, f"el.getAttribute('href') === '{ask}'")
            await page.keyboard.press("Enter")
            await page.wait_for_url(f"{url}{ask}")
            assert "Close this place?" in await page.inner_text("h1")
            await tab_to(page, f"el.textContent.trim() === '{answer}'")
            await page.keyboard.press("Enter")
            await page.wait_for_url(lambda u: not u.endswith(ask))
            status = (await world.get_opportunity(place))["status"]
            assert status == ("open" if answer == "Cancel" else "closed"), answer
        assert page.url == f"{url}/employer?done=closed"
        await context.close()

        # An officer sets a share with the keyboard: a share over 100 % is refused next to its field, then
        # places are reserved for a target group.
        context = await browser.new_context(viewport=WIDTHS["desktop"], locale="en-GB")
        page = await context.new_page()
        await sign_in(page, url, "officer-1")
        await page.goto(f"{url}/officer/plan?lang=en")
        await tab_to(page, "el.id === 'share-woman'")
        await page.keyboard.type("150")
        await page.keyboard.press("Enter")
        await page.wait_for_selector("#quota-error-woman")
        assert "at most 100" in await page.inner_text("#quota-error-woman")
        assert await page.get_attribute("#share-woman", "aria-invalid") == "true"
        await page.fill("#share-woman", "")
        await tab_to(page, "el.id === 'share-woman'")
        await page.keyboard.type("12.5")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/officer/plan?policy=saved#policy-heading")
        await tab_to(page, "el.id === 'reserve-opportunity'")
        await page.keyboard.press("ArrowDown")
        await tab_to(page, "el.id === 'reserve-group'")
        for _ in range(1 + [g.value for g in TargetGroup].index("woman")):
            await page.keyboard.press("ArrowDown")
        await tab_to(page, "el.id === 'reserve-places'")
        await page.keyboard.type("1")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/officer/plan?policy=reserved#reserved-heading")
        policy = (await world.client.get("/plans/policy", headers=world.officer())).json()
        assert [q["share"] for q in policy["quotas"]] == [0.125]
        assert [(r["target_group"], r["places"]) for r in policy["reserved"]] == [("woman", 1)]
        await context.close()

        for account, paths in PAGES.items():
            for width, size in WIDTHS.items():
                context = await browser.new_context(viewport=size, locale="en-GB")
                page = await context.new_page()
                await sign_in(page, url, "employer-1" if account == "employer" else account)
                for path in paths:
                    await page.goto(f"{url}{path}")
                    name = path.strip("/").replace("/", "-")
                    if path == "/officer":
                        charts = page.locator("svg.chart")
                        assert await charts.count() == 1 + len(TargetGroup) + len(body["categories"])
                        assert await charts.first.is_visible()
                        assert await page.locator("table").count() >= 3, "every chart's numbers in a table"
                        assert "not answering" not in await page.inner_text("main")
                    await check(page, name, width)
                    if path == "/officer/plan":
                        await page.click("text=Make the plan now")
                        await page.wait_for_selector("text=Plan made at")
                        await check(page, "officer-plan-made", width)
                        await page.fill("#quota-woman", "3")
                        await page.fill("#share-woman", "10")
                        await page.fill("#reserve-places", "9")
                        await page.click("text=Save quotas")
                        await page.wait_for_selector("#quota-error-woman")
                        await check(page, "officer-plan-quota-error", width)
                        await page.select_option("#reserve-opportunity", index=1)
                        await page.select_option("#reserve-group", "other")
                        await page.fill("#reserve-places", "9")
                        await page.click("button:text-is('Reserve')")
                        await page.wait_for_selector("#reserve-places-error")
                        await check(page, "officer-plan-reserve-error", width)
                if account == "employer":
                    await page.goto(f"{url}/employer/opportunities/{open_place['id']}/close")
                    await check(page, "employer-close", width)
                    await page.goto(f"{url}/employer/opportunities/{place['id']}/close")
                    assert "already closed" in await page.inner_text("main")
                    await check(page, "employer-close-already", width)
                await context.close()
