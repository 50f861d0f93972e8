"""A large caseload in the coach's web UI: every person on every page has their name.

Names live only at intake; matching's pages ask intake for the people they show, with the
coach's own token. Intake and matching run for real (intake over HTTP), filled through intake's
API; the coach signs in with the development picker.
"""

from __future__ import annotations

import contextlib
import re

import httpx

from services.intake.app import definition as intake
from services.matching.app import definition as matching
from services.matching.tests.test_web_signin import csrf_of
from services.matching.web.coach import PAGE_SIZE
from shared.auth import Role
from tests.support.platform import Platform, run_service, serve_over_http
from tests.support.waiting import eventually

COACH = "coach-many"
PEOPLE = 205  # more than intake lists at once (200)


async def test_a_coach_with_more_than_200_participants_sees_every_name_on_every_caseload_page(
    platform: Platform,
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        intake_url = await stack.enter_async_context(serve_over_http(platform, intake))
        web = await stack.enter_async_context(run_service(platform, matching, intake_url=intake_url))
        at_intake = await stack.enter_async_context(httpx.AsyncClient(base_url=intake_url))
        coach = await platform.login(Role.COACH, COACH, COACH)
        for n in range(PEOPLE):
            answer = await at_intake.post(
                "/participants",
                json={"name": f"Deelnemer {n:03d}", "situation": "looking_for_work", "consents": ["matching"]},
                headers=coach,
            )
            assert answer.status_code == 201, answer.text
        picker = await web.client.get("/signin")
        signed = await web.client.post("/signin", data={"account": COACH, "csrf": csrf_of(picker.text)})
        assert signed.status_code == 303, signed.text
        pages = -(-PEOPLE // PAGE_SIZE)

        async def last_page_full() -> str | None:
            answer = await web.client.get("/coach", params={"page": pages})
            return answer.text if answer.status_code == 200 and "/coach/candidates/" in answer.text else None

        assert await eventually(last_page_full, timeout=60), "matching never heard of the whole caseload"
        seen: set[str] = set()
        for number in range(1, pages + 1):
            html = (await web.client.get("/coach", params={"page": number})).text
            assert "Namen zijn nu niet op te halen" not in html
            named = set(re.findall(r"Deelnemer \d{3}", html))
            expected = min(PAGE_SIZE, PEOPLE - (number - 1) * PAGE_SIZE)
            assert len(named) == expected, f"page {number}: {len(named)} names for {expected} people"
            seen |= named
    assert seen == {f"Deelnemer {n:03d}" for n in range(PEOPLE)}
