"""Vouchers' part of ``regionet demo``: the programme, and applications from eligible participants.

Runs after intake, whose participants and courses it takes from ``api.summary.ids``.
"""

from __future__ import annotations

from shared.tooling.demo.dataset import CATEGORY_OF_SITUATION, DemoRegion, applicants_of
from shared.tooling.demo.loader import DemoApi


def request_count(demo: DemoRegion) -> int:
    """How many requests vouchers' part of ``demo`` makes."""
    return 1 + len(applicants_of(demo))


async def load(demo: DemoRegion, api: DemoApi) -> None:
    """Publish the demo programme, then apply for a voucher for each applicant."""
    programme = await api.post("vouchers", "/programmes", demo.programme, "programme_officer", "demo-officer")
    api.summary.add("programmes", programme["id"])
    api.advance("voucher programme", 1)
    participants = api.summary.ids["participants"]
    courses = api.summary.ids.get("courses", [])

    async def application(index: int) -> None:
        situation = demo.participants[index][1]["situation"]
        body = {"category": CATEGORY_OF_SITUATION[situation], "course_id": courses[index % len(courses)]}
        created = await api.post(
            "vouchers", f"/programmes/{programme['id']}/applications", body, "participant", participants[index]
        )
        api.summary.add("applications", created["id"])

    await api.each("voucher applications", applicants_of(demo), application)
