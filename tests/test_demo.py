"""The demo region loads through the public APIs and lands in every service."""

from __future__ import annotations

from collections import Counter

import pytest

from services.intake import domain
from services.intake.app import definition as intake
from services.matching.app import definition as matching
from services.notifications.app import definition as notifications
from services.vouchers.app import definition as vouchers
from shared.settings import DEV_ADMIN
from shared.tooling.demo.dataset import VOUCHER_CENTS, demo_region
from shared.tooling.demo.loader import DemoError, DemoLoader, request_count
from tests.support.platform import Platform, run_service
from tests.support.waiting import eventually


def test_demo_region_covers_every_target_group_and_situation() -> None:
    demo = demo_region("gld")
    again = demo_region("gld")
    assert (demo.coaches, demo.participants, demo.employers, demo.providers) == (
        again.coaches,
        again.participants,
        again.employers,
        again.providers,
    ), "the same seed gives the same region"
    bodies = [body for _, body in demo.participants]
    groups = Counter(g for b in bodies for g in b["target_groups"])
    assert set(groups) == {"vulnerable_youth", "age_45_plus", "refugee_with_permit", "woman"}
    assert set(b["situation"] for b in bodies) >= {
        "looking_for_work",
        "working_in_tech",
        "working_outside_tech",
        "self_employed_in_tech",
    }
    assert all("anonymous_reporting" in b["consents"] for b in bodies if b["target_groups"])
    assert len({e["kvk_number"] for e in demo.employers}) == len(demo.employers)


def test_every_generated_postcode_and_kvk_number_passes_intakes_rules() -> None:
    demo = demo_region("gld", participants=5_000, employers=500)
    for _, body in demo.participants:
        assert domain.normalise_postcode(body["postcode"]) == body["postcode"]
    for employer in demo.employers:
        assert domain.normalise_postcode(employer["postcode"]) == employer["postcode"]
        assert domain.normalise_kvk(employer["kvk_number"]) == employer["kvk_number"]


async def test_demo_loads_through_the_apis_once(platform: Platform) -> None:
    demo = demo_region("gld", participants=30, employers=5, applicants=8)
    done: list[str] = []
    async with (
        run_service(platform, intake, first_admin=DEV_ADMIN) as i,
        run_service(platform, notifications) as n,
        run_service(platform, vouchers) as v,
        run_service(platform, matching) as m,
    ):
        clients = {"intake": i.client, "notifications": n.client, "vouchers": v.client, "matching": m.client}
        loader = DemoLoader(clients, platform.token, lambda step, k: done.extend([step] * k))
        summary = await loader.load(demo)
        counts = dict(summary.counts)
        proposals = counts.pop("proposals", 0)
        assert counts == {
            "coaches": 6,
            "employers": 5,
            "providers": 5,
            "courses": 9,
            "participants": 30,
            "programmes": 1,
            "applications": 8,
            "opportunities": 10,
        }
        assert len(done) == request_count(demo)
        shown = await m.client.get("/proposals", params={"limit": 200}, headers=platform.auth("admin", DEV_ADMIN))
        assert len(shown.json()) == proposals
        assert {p["status"] for p in shown.json()} == {
            "proposed",
            "interested",
            "interview",
            "placed",
            "retained",
            "ended",
            "declined",
            "withdrawn",
            "expired",
        }, "proposals in every state, expired ones through a development sweep a day after their hold"
        officer_auth = platform.auth("programme_officer", "demo-officer")
        policy = await m.client.get("/plans/policy", headers=officer_auth)
        assert policy.json()["quotas"] == [{"target_group": "woman", "places": None, "share": 0.2}]
        programme_id = summary.ids["programmes"][0]
        officer = platform.auth("programme_officer", "demo-officer")  # made by the demo, known everywhere
        budget = await v.client.get(f"/programmes/{programme_id}", headers=officer)
        applications = (await v.client.get("/applications", headers=officer)).json()
        assert [a["status"] for a in applications] == ["voucher_issued"] * 8, "every demo applicant got a voucher"
        reserved = sum(c["reserved_cents"] for c in budget.json()["categories"])
        assert reserved == sum(a["amount_cents"] for a in applications)
        assert all(a["amount_cents"] <= VOUCHER_CENTS for a in applications)
        assert {c["code"] for c in budget.json()["categories"]} == {
            "zoek_werk_techniek",
            "werk_in_techniek",
            "werk_buiten_techniek",
            "zzp_techniek",
        }

        coach_id, _ = demo.participants[0]
        caseload = sum(1 for c, _ in demo.participants if c == coach_id)
        page = await i.client.get("/participants", params={"limit": 100}, headers=platform.auth("coach", coach_id))
        assert len(page.json()["items"]) == caseload

        async def coach_notified() -> bool:
            feed = await n.client.get("/notifications", params={"limit": 200}, headers=platform.auth("coach", coach_id))
            joined = [x for x in feed.json() if x["kind"] == "participant.registered"]
            return len(joined) == caseload

        await eventually(coach_notified)

        with pytest.raises(DemoError, match="already loaded"):
            await DemoLoader({"intake": i.client}, platform.token, lambda *_: None).load(demo)
