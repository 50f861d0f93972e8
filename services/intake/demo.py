"""Intake's part of ``regionet demo``: accounts, coaches, employers, providers with their courses, participants.

Every demo person signs in as an account of the registry: the coaches (their ids), the
programme officer ``demo-officer``, one user per employer (``employer-<KvK number>``) and per
provider (``provider-<KvK number>``). ``./dev up`` makes the administrator ``dev-admin``.

Runs first; the participants' ids land in ``api.summary.ids["participants"]`` in the data set's
order, the courses' in ``api.summary.ids["courses"]``, for the services that load after it.
"""

from __future__ import annotations

from typing import Any

from shared.settings import DEV_ADMIN
from shared.tooling.demo.dataset import DemoRegion
from shared.tooling.demo.loader import DemoApi, DemoError

ADMIN = ("admin", DEV_ADMIN)
OFFICER = "demo-officer"
Provider = tuple[dict[str, Any], list[dict[str, Any]]]  # (provider body, its course bodies)


def request_count(demo: DemoRegion) -> int:
    """How many requests intake's part of ``demo`` makes."""
    courses = sum(len(c) for _, c in demo.providers)
    users = 1 + len(demo.employers) + len(demo.providers)
    return users + len(demo.coaches) + len(demo.employers) + len(demo.providers) + courses + len(demo.participants)


async def load(demo: DemoRegion, api: DemoApi) -> None:
    """Create the demo's organisations and participants; refuses when the demo region is already there."""
    first_coach = demo.coaches[0]["id"]
    existing = await api.get("intake", f"/coaches/{first_coach}", *ADMIN)
    if existing.status_code == 200:
        raise DemoError(
            f"the demo region {demo.region!r} is already loaded (coach {first_coach} exists); "
            "start from an empty folder (regionet down, then remove .regionet/) to load it again"
        )

    async def coach(body: dict[str, Any]) -> None:
        created = await api.post("intake", "/coaches", body, *ADMIN)
        api.summary.add("coaches", created["id"])

    async def user(role: str, party: str, kvk_number: str) -> None:
        await api.post("intake", "/accounts", {"id": f"{role}-{kvk_number}", "role": role, "party": party}, *ADMIN)
        api.advance("accounts", 1)

    async def employer(body: dict[str, Any]) -> None:
        created = await api.post("intake", "/employers", body, *ADMIN)
        api.summary.add("employers", created["id"])
        await user("employer", created["id"], created["kvk_number"])

    async def provider(entry: Provider) -> None:
        body, courses = entry
        created = await api.post("intake", "/providers", body, *ADMIN)
        api.summary.add("providers", created["id"])
        api.advance("providers and courses", 1)
        await user("provider", created["id"], created["kvk_number"])
        for course in courses:
            published = await api.post("intake", f"/providers/{created['id']}/courses", course, *ADMIN)
            api.summary.add("courses", published["id"])
            api.advance("providers and courses", 1)

    async def participant(entry: tuple[str, dict[str, Any]]) -> str:
        coach_id, body = entry
        created: str = (await api.post("intake", "/participants", body, "coach", coach_id))["id"]
        return created

    await api.post("intake", "/accounts", {"id": OFFICER, "role": "programme_officer"}, *ADMIN)
    api.advance("accounts", 1)
    await api.each("coaches", demo.coaches, coach)
    await api.each("employers", demo.employers, employer)
    await api.each("providers and courses", demo.providers, provider, advances_itself=True)
    # Sent concurrently; recorded in the data set's order so that later loaders can find them by position.
    for participant_id in await api.each("participants", demo.participants, participant):
        api.summary.add("participants", participant_id)
