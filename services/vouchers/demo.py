"""Vouchers' part of ``regionet demo``: the programme, and applications from eligible participants.

Each applicant first gets a participant account at intake, so that they apply as themselves.

Runs after intake, whose participants and courses it takes from ``api.summary.ids``.
"""

from __future__ import annotations

from shared.settings import DEV_ADMIN
from shared.tooling.demo.dataset import CATEGORY_OF_SITUATION, DemoRegion, applicants_of
from shared.tooling.demo.loader import DemoApi


def request_count(demo: DemoRegion) -> int:
    """How many requests vouchers' part of ``demo`` makes."""
    return 1 + 2 * len(applicants_of(demo))


async def load(demo: DemoRegion, api: DemoApi) -> None:
    """Publish the demo programme, then apply for a voucher for each applicant."""
    programme = await api.post("vouchers", "/programmes", demo.programme, "programme_officer", "demo-officer")
    api.summary.add("programmes", programme["id"])
    api.advance("voucher programme", 1)
    participants = api.summary.ids["participants"]
    courses = api.summary.ids.get("courses", [])

    async def application(index: int) -> None:
        # Each applicant signs in as a participant account (named after the participant here).
        account = {"id": participants[index], "role": "participant", "party": participants[index]}
        await api.post("intake", "/accounts", account, "admin", DEV_ADMIN)
        api.advance("voucher applications", 1)
        situation = demo.participants[index][1]["situation"]
        body = {"category": CATEGORY_OF_SITUATION[situation], "course_id": courses[index % len(courses)]}
        created = await api.post(
            "vouchers", f"/programmes/{programme['id']}/applications", body, "participant", participants[index]
        )
        api.summary.add("applications", created["id"])

    await api.each("voucher applications", applicants_of(demo), application)
