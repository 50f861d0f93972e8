"""The demo region loads through the public APIs and lands in every service."""

from __future__ import annotations

from collections import Counter

import pytest

from services.intake.app import definition as intake
from services.notifications.app import definition as notifications
from shared.demo.dataset import demo_region
from shared.demo.loader import DemoError, DemoLoader, request_count
from tests.support.platform import Platform, run_service
from tests.support.waiting import eventually


def test_demo_region_covers_every_target_group_and_situation() -> None:
    demo = demo_region("gld")
    assert demo == demo_region("gld"), "the same seed gives the same region"
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


async def test_demo_loads_through_the_apis_once(platform: Platform) -> None:
    demo = demo_region("gld", participants=30, employers=5)
    done: list[str] = []
    async with run_service(platform, intake) as i, run_service(platform, notifications) as n:
        loader = DemoLoader(
            {"intake": i.client, "notifications": n.client}, platform.token, lambda step, k: done.extend([step] * k)
        )
        summary = await loader.load(demo)
        assert summary.counts == {"coaches": 6, "employers": 5, "providers": 5, "courses": 9, "participants": 30}
        assert len(done) == request_count(demo)

        coach_id, _ = demo.participants[0]
        caseload = sum(1 for c, _ in demo.participants if c == coach_id)
        page = await i.client.get("/participants", params={"limit": 100}, headers=platform.auth("coach", coach_id))
        assert len(page.json()["items"]) == caseload

        async def coach_notified() -> bool:
            feed = await n.client.get("/notifications", params={"limit": 200}, headers=platform.auth("coach", coach_id))
            return len(feed.json()) == caseload

        await eventually(coach_notified)

        with pytest.raises(DemoError, match="already loaded"):
            await DemoLoader({"intake": i.client}, platform.token, lambda *_: None).load(demo)
