"""``/docs`` of every service renders in a browser with no network: its viewer comes from the service itself."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Locator, Route

from services.intake.app import definition as intake
from services.matching.app import definition as matching
from services.notifications.app import definition as notifications
from services.vouchers.app import definition as vouchers
from shared.service import ServiceDefinition
from tests.support.browser import artefact_folder
from tests.support.platform import Platform, serve_over_http

OUTSIDE = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""")


@pytest.mark.parametrize("definition", [intake, vouchers, matching, notifications], ids=lambda d: d.name)
async def test_api_docs_render_without_network(
    platform: Platform, browser: Browser, definition: ServiceDefinition
) -> None:
    async with serve_over_http(platform, definition) as url:
        origin = urlsplit(url).netloc
        outside: list[str] = []

        async def only_the_service(route: Route) -> None:
            if urlsplit(route.request.url).netloc == origin:
                await route.continue_()
            else:
                outside.append(route.request.url)
                await route.abort("internetdisconnected")

        context = await browser.new_context(viewport={"width": 1280, "height": 1600})
        await context.route("**/*", only_the_service)
        page = await context.new_page()
        try:
            for viewer in ("/docs", "/redoc"):
                html = await (await context.request.get(url + viewer)).text()
                assert not OUTSIDE.search(html), f"{viewer} loads something from outside the service"
            document = await (await context.request.get(f"{url}/openapi.json")).json()
            await page.goto(f"{url}/docs")
            operations = page.locator(".opblock-summary")
            await operations.first.wait_for(timeout=30_000)
            listed = {await _operation(summary) for summary in await operations.all()}
            await page.screenshot(path=artefact_folder("api-docs") / f"{definition.name}.png")
        finally:
            await context.close()
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert listed == documented
    assert {("GET", "/health"), *((r.method, r.path) for r in definition.hot_routes)} <= listed
    assert outside == [], "the page asked for nothing outside the service"


async def _operation(summary: Locator) -> tuple[str, str]:
    """The method and path an operation's summary line shows (Swagger UI breaks paths with zero-width spaces)."""
    method = await summary.locator(".opblock-summary-method").inner_text()
    path = await summary.locator(".opblock-summary-path").inner_text()
    return method.strip().upper(), path.replace("\u200b", "").strip()
