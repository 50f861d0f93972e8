"""The first real flow: intake registers a participant, notifications tells the coach."""

from __future__ import annotations

from services.intake.app import definition as intake
from services.notifications.app import definition as notifications
from tests.support.platform import Platform, run_service
from tests.support.waiting import eventually


async def test_registered_participant_reaches_the_coachs_feed(platform: Platform) -> None:
    async with run_service(platform, intake) as i, run_service(platform, notifications) as n:
        coach = await platform.login("coach", "coach-anna")
        created = await i.client.post(
            "/participants",
            json={"name": "Sanne de Vries", "email": "sanne@example.org", "situation": "looking_for_work"},
            headers=coach,
        )
        assert created.status_code == 201, created.text
        participant_id = created.json()["id"]

        async def feed() -> list[dict[str, object]]:
            r = await n.client.get("/notifications", headers=coach)
            assert r.status_code == 200, r.text
            items: list[dict[str, object]] = r.json()
            return items

        items = await eventually(feed)
        assert [(x["kind"], x["subject_id"]) for x in items] == [("participant.registered", participant_id)]
        other_coach = await n.client.get("/notifications", headers=await platform.login("coach", "coach-bob"))
        assert other_coach.json() == []


async def test_event_on_the_stream_carries_no_personal_data(platform: Platform) -> None:
    async with run_service(platform, intake) as i:
        created = await i.client.post(
            "/participants",
            json={"name": "Jan Jansen", "email": "jan@example.org", "situation": "working_outside_tech"},
            headers=await platform.login("coach", "coach-anna"),
        )
        assert created.status_code == 201

        async def stored() -> list[bytes]:
            return await platform.stream_messages("INTAKE")

        bodies = await eventually(stored)
    assert len(bodies) == 1
    assert b"Jan" not in bodies[0]
    assert b"jan@example.org" not in bodies[0]
    assert created.json()["id"].encode() in bodies[0]


async def test_erasure_removes_the_participant_from_the_coachs_feed(platform: Platform) -> None:
    async with run_service(platform, intake) as i, run_service(platform, notifications) as n:
        coach = await platform.login("coach", "coach-anna")
        created = await i.client.post(
            "/participants", json={"name": "Kees Arts", "situation": "working_in_tech"}, headers=coach
        )
        participant_id = created.json()["id"]

        async def feed() -> list[dict[str, object]]:
            items: list[dict[str, object]] = (await n.client.get("/notifications", headers=coach)).json()
            return items

        assert [x["subject_id"] for x in await eventually(feed)] == [participant_id]
        erased = await i.client.delete(
            f"/participants/{participant_id}", headers=await platform.login("admin", "admin-1")
        )
        assert erased.status_code == 204, erased.text

        async def forgotten() -> bool:
            return await feed() == []

        await eventually(forgotten)
