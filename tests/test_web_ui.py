"""The web UI in a real browser (Debian's Chromium): keyboard alone, phone width, axe-core, screenshots.

Matching is served over HTTP with accounts in its registry; the browser signs in with the
development picker using the keyboard only, and every page is checked at desktop and phone
width (no horizontal scrolling) and with axe-core (no serious or critical findings).
Screenshots are kept under ``tests/artifacts/web-ui/``.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, ViewportSize

from services.matching.app import definition as matching
from shared.auth import Role
from tests.support.browser import artefact_folder
from tests.support.platform import Platform, serve_over_http

WIDTHS: dict[str, ViewportSize] = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}
SERIOUS = {"serious", "critical"}


async def findings(page: Page) -> list[str]:
    """The serious and critical axe-core violations of the page."""
    results = await Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [f"{v['id']}: {v['help']}" for v in violations if v.get("impact") in SERIOUS]


async def check(page: Page, name: str, width: str) -> None:
    folder = artefact_folder("web-ui")
    await page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name} scrolls sideways"
    assert await findings(page) == [], name


async def test_every_page_reads_well_at_every_width_and_signs_in_with_the_keyboard_alone(
    platform: Platform, browser: Browser
) -> None:
    async with serve_over_http(platform, matching) as url:
        await platform.enrol_all([(Role.COACH, "coach-anna", "coach-anna"), (Role.ADMIN, "dev-admin", "dev-admin")])
        for width, size in WIDTHS.items():
            context = await browser.new_context(viewport=size, locale="de-DE")
            page = await context.new_page()
            await page.goto(f"{url}/")
            assert page.url == f"{url}/signin"
            await check(page, "signin", width)

            await page.keyboard.press("Tab")
            assert await page.evaluate("document.activeElement.className") == "skip"
            for _ in range(5):  # past the skip link, the home link and the three languages, to the accounts
                await page.keyboard.press("Tab")
            assert await page.evaluate("document.activeElement.id") == "account"
            await page.keyboard.press("ArrowDown")  # the second account: coach-anna (sorted by role)
            await page.keyboard.press("Tab")
            await page.keyboard.press("Enter")
            await page.wait_for_url(f"{url}/coach")
            assert "coach-anna" in await page.inner_text("header")
            assert "Fallbestand" in await page.inner_text("header nav"), "the browser's language"

            await page.goto(f"{url}/coach?lang=en")
            assert "Caseload" in await page.inner_text("header nav")
            await page.goto(f"{url}/")
            await page.wait_for_url(f"{url}/coach")
            assert "Caseload" in await page.inner_text("header nav"), "the pick is remembered"

            await page.evaluate("document.querySelector('form.signout input[name=csrf]').value = 'forged'")
            await page.click("form.signout button")
            assert "did not come from this page" in await page.inner_text("main")
            await check(page, "error", width)
            await context.close()
