"""Participants through the HTTP API, against real Postgres and NATS."""

from __future__ import annotations

from typing import Any

import httpx

from services.intake.app import definition as intake
from services.intake.tests.observe import event_types, fetch, published, table_counts
from tests.support.platform import Platform, run_service

SANNE: dict[str, Any] = {
    "name": "Sanne de Vries",
    "email": "sanne@example.nl",
    "phone": "06 12345678",
    "birth_date": "1975-03-14",
    "postcode": "6811ab",
    "preferred_language": "nl",
    "situation": "looking_for_work",
    "target_groups": ["age_45_plus", "woman"],
    "consents": ["matching", "email_contact"],
    "education_level": "mbo2",
    "skills": ["Lassen", " heftruck ", "lassen"],
    "desired_occupations": ["monteur"],
}


async def register(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await client.post(
        "/participants", json={"name": "Jan Jansen", "situation": "student", **fields}, headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_coach_registers_a_participant_and_one_pseudonymous_event_per_fact_is_published(
    platform: Platform,
) -> None:
    async with run_service(platform, intake) as s:
        coach = await platform.login("coach", "coach-anna")
        created = await s.client.post("/participants", json=SANNE, headers=coach)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["postcode"] == "6811 AB"
        assert body["postcode_area"] == "6811"
        assert body["age_group"] == "45_plus"
        assert body["coach_id"] == "coach-anna"
        assert body["status"] == "intake"
        assert body["skills"] == ["lassen", "heftruck"]
        events = await published(platform)

    assert [e["type"] for e in events] == [
        "participant.registered",
        "participant.consent_given",
        "participant.consent_given",
    ]
    registered = events[0]["data"]
    assert registered["participant_id"] == body["id"]
    assert registered["postcode_area"] == "6811"
    assert registered["age_group"] == "45_plus"
    assert registered["target_groups"] == ["age_45_plus", "woman"]
    assert {e["data"]["purpose"] for e in events[1:]} == {"matching", "email_contact"}
    raw = b"".join(await platform.stream_messages("INTAKE"))
    for personal in (b"Sanne", b"sanne@example.nl", b"12345678", b"1975-03-14", b"6811 AB", b"6811AB"):
        assert personal not in raw


async def test_reading_and_listing_personal_data_is_written_to_the_access_log(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        coach = await platform.login("coach", "coach-anna")
        pid = (await register(s.client, coach))["id"]
        assert (await s.client.get(f"/participants/{pid}", headers=coach)).status_code == 200
        assert (
            await s.client.get("/participants", headers=await platform.login("admin", "admin-1"))
        ).status_code == 200
    log = await fetch(platform, "SELECT accessor, role, action FROM intake.access_log ORDER BY id")
    assert [tuple(r) for r in log] == [("coach-anna", "coach", "read"), ("admin-1", "admin", "list")]


async def test_an_update_announces_changed_field_names_and_a_new_situation_exactly_once(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        coach = await platform.login("coach", "coach-anna")
        pid = (await register(s.client, coach, email="old@example.nl"))["id"]
        changed = await s.client.patch(
            f"/participants/{pid}",
            json={"email": "new@example.nl", "situation": "working_in_tech", "postcode": "7001 BC", "phone": None},
            headers=coach,
        )
        assert changed.status_code == 200, changed.text
        unchanged = await s.client.patch(f"/participants/{pid}", json={"email": "new@example.nl"}, headers=coach)
        assert unchanged.status_code == 200
        events = await published(platform)

    assert [e["type"] for e in events] == [
        "participant.registered",
        "participant.updated",
        "participant.situation_changed",
    ]
    assert events[1]["data"]["changed_fields"] == ["email", "postcode", "postcode_area", "situation"]
    assert events[1]["data"]["postcode_area"] == "7001"
    assert events[2]["data"] == {"participant_id": pid, "previous": "student", "situation": "working_in_tech"}
    assert b"new@example.nl" not in b"".join(await platform.stream_messages("INTAKE"))


async def test_lists_filter_by_coach_status_target_group_situation_and_area_and_page_by_key(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        admin = await platform.login("admin", "admin-1")
        for coach in ("coach-anna", "coach-bob"):
            assert (
                await s.client.post("/coaches", json={"id": coach, "region": "gld"}, headers=admin)
            ).status_code == 201
        anna = await platform.login("coach", "coach-anna")
        a1 = await register(s.client, anna, postcode="6811 AB", situation="looking_for_work")
        a2 = await register(
            s.client, anna, postcode="6822 CD", target_groups=["woman"], consents=["anonymous_reporting"]
        )
        b1 = await register(s.client, await platform.login("coach", "coach-bob"), postcode="6811 EF")
        loose = await register(s.client, admin, postcode="6811 GH")
        await s.client.post(f"/participants/{a1['id']}/trajectory", json={"status": "active"}, headers=anna)

        async def ids(headers: dict[str, str], **params: Any) -> list[str]:
            response = await s.client.get("/participants", params=params, headers=headers)
            assert response.status_code == 200, response.text
            return [p["id"] for p in response.json()["items"]]

        assert await ids(admin) == [a1["id"], a2["id"], b1["id"], loose["id"]]
        assert await ids(admin, coach_id="coach-bob") == [b1["id"]]
        assert await ids(admin, unassigned=True) == [loose["id"]]
        assert await ids(admin, status="active") == [a1["id"]]
        assert await ids(admin, situation="looking_for_work") == [a1["id"]]
        assert await ids(admin, target_group="woman") == [a2["id"]]
        assert await ids(admin, postcode_area="6811") == [a1["id"], b1["id"], loose["id"]]
        # A coach sees their own caseload and unassigned intake, never another coach's participants.
        assert await ids(anna) == [a1["id"], a2["id"], loose["id"]]
        assert await ids(anna, postcode_area="6811") == [a1["id"], loose["id"]]
        # By id (a page of a web UI naming the people it shows): still only what the caller may see.
        assert await ids(admin, id=[b1["id"], a2["id"]]) == [a2["id"], b1["id"]]
        assert await ids(anna, id=[b1["id"], a2["id"]]) == [a2["id"]]
        assert await ids(anna, id=[a1["id"]], coach_id="coach-anna") == [a1["id"]]
        too_many = await s.client.get("/participants", params={"id": [a1["id"]] * 201}, headers=admin)
        assert too_many.status_code == 422, too_many.text
        not_an_id = await s.client.get("/participants", params={"id": "sanne"}, headers=admin)
        assert not_an_id.status_code == 422
        assert "id" in str(not_an_id.json()["errors"])

        first = (await s.client.get("/participants", params={"limit": 2}, headers=admin)).json()
        assert [p["id"] for p in first["items"]] == [a1["id"], a2["id"]]
        second = (
            await s.client.get("/participants", params={"limit": 2, "after": first["next_after"]}, headers=admin)
        ).json()
        assert [p["id"] for p in second["items"]] == [b1["id"], loose["id"]]
        third = (
            await s.client.get("/participants", params={"limit": 2, "after": second["next_after"]}, headers=admin)
        ).json()
        assert third == {"items": [], "next_after": None}


async def test_a_trajectory_moves_on_with_who_and_when_on_the_timeline(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        anna = await platform.login("coach", "coach-anna")
        pid = (await register(s.client, anna))["id"]
        for step in ({"status": "active"}, {"status": "placed"}, {"status": "ended", "reason": "moved_away"}):
            response = await s.client.post(f"/participants/{pid}/trajectory", json=step, headers=anna)
            assert response.status_code == 200, response.text
            assert response.json()["status"] == step["status"]
        note = await s.client.post(f"/participants/{pid}/notes", json={"text": "Belt liever 's avonds."}, headers=anna)
        assert note.status_code == 201
        timeline = (await s.client.get(f"/participants/{pid}/timeline", headers=anna)).json()
        events = await published(platform)

    assert [(t["kind"], t["actor"]) for t in timeline] == [
        ("registered", "coach-anna"),
        ("trajectory_changed", "coach-anna"),
        ("trajectory_changed", "coach-anna"),
        ("trajectory_changed", "coach-anna"),
        ("note", "coach-anna"),
    ]
    assert timeline[3]["details"] == {"previous": "placed", "status": "ended", "reason": "moved_away"}
    assert timeline[4]["note"] == "Belt liever 's avonds."
    assert all(t["at"] for t in timeline)
    changes = [e["data"] for e in events if e["type"] == "participant.trajectory_changed"]
    assert [(c["previous"], c["status"], c["reason"]) for c in changes] == [
        ("intake", "active", None),
        ("active", "placed", None),
        ("placed", "ended", "moved_away"),
    ]
    assert all(b"avonds" not in body for body in await platform.stream_messages("INTAKE"))


async def test_coaches_take_on_and_hand_over_participants(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        admin = await platform.login("admin", "admin-1")
        await s.client.post("/coaches", json={"id": "coach-bob", "region": "gld"}, headers=admin)
        anna = await platform.login("coach", "coach-anna")
        pid = (await register(s.client, admin))["id"]
        taken = await s.client.put(f"/participants/{pid}/coach", json={"coach_id": "coach-anna"}, headers=anna)
        assert taken.status_code == 200, taken.text
        again = await s.client.put(f"/participants/{pid}/coach", json={"coach_id": "coach-anna"}, headers=anna)
        assert again.status_code == 200
        handed = await s.client.put(f"/participants/{pid}/coach", json={"coach_id": "coach-bob"}, headers=anna)
        assert handed.json()["coach_id"] == "coach-bob"
        after = await s.client.get(f"/participants/{pid}", headers=anna)
        assert after.status_code == 404
        events = await published(platform)
    assigned = [e["data"] for e in events if e["type"] == "participant.coach_assigned"]
    assert [(a["previous_coach_id"], a["coach_id"]) for a in assigned] == [
        (None, "coach-anna"),
        ("coach-anna", "coach-bob"),
    ]


async def test_consent_is_recorded_with_time_and_source_and_withdrawal_forgets_target_groups(
    platform: Platform,
) -> None:
    async with run_service(platform, intake) as s:
        anna = await platform.login("coach", "coach-anna")
        pid = (await register(s.client, anna, target_groups=["refugee_with_permit"], consents=["matching"]))["id"]
        same = await s.client.post(
            f"/participants/{pid}/consents", json={"purpose": "matching", "given": True}, headers=anna
        )
        assert [c["purpose"] for c in same.json()] == ["matching"]
        withdrawn = await s.client.post(
            f"/participants/{pid}/consents", json={"purpose": "matching", "given": False}, headers=anna
        )
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json() == []
        history = (await s.client.get(f"/participants/{pid}/consents", headers=anna)).json()
        participant = (await s.client.get(f"/participants/{pid}", headers=anna)).json()
        types = await event_types(platform)

    assert [(h["purpose"], h["given"], h["source"], h["recorded_by"]) for h in history] == [
        ("matching", True, "coach", "coach-anna"),
        ("matching", False, "coach", "coach-anna"),
    ]
    assert all(h["recorded_at"] for h in history)
    assert participant["target_groups"] == []
    assert types == ["participant.registered", "participant.consent_given", "participant.consent_withdrawn"]


async def test_a_person_registers_through_the_public_form_and_manages_their_own_data(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        me = platform.auth("participant", "account-42")  # signed in, no account yet
        created = await s.client.post(
            "/participants/me",
            json={
                "name": "Fatima el Amrani",
                "email": "fatima@example.nl",
                "situation": "student",
                "consents": ["coaching"],
            },
            headers=me,
        )
        assert created.status_code == 201, created.text
        pid = created.json()["id"]
        assert created.json()["coach_id"] is None
        twice = await s.client.post("/participants/me", json={"name": "F", "situation": "student"}, headers=me)
        assert twice.status_code == 409
        assert "already registered" in twice.json()["detail"]
        assert (await s.client.get("/participants/me", headers=me)).json()["id"] == pid
        patched = await s.client.patch("/participants/me", json={"preferred_language": "en"}, headers=me)
        assert patched.json()["preferred_language"] == "en"
        consents = await s.client.post(
            "/participants/me/consents", json={"purpose": "email_contact", "given": True}, headers=me
        )
        assert [c["purpose"] for c in consents.json()] == ["coaching", "email_contact"]
        mine = await s.client.get("/participants/me/consents", headers=me)
        assert {c["source"] for c in mine.json()} == {"participant"}
        stranger = await s.client.get("/participants/me", headers=platform.auth("participant", "account-43"))
        assert stranger.status_code == 403
        assert "no Regionet account" in stranger.json()["detail"]
        # Unassigned intake is visible to every coach, who can take the person on.
        coach_view = await s.client.get(f"/participants/{pid}", headers=await platform.login("coach", "coach-anna"))
        assert coach_view.status_code == 200


async def test_programme_officers_see_counts_and_never_persons(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        anna = await platform.login("coach", "coach-anna")
        for _ in range(5):
            await register(
                s.client, anna, birth_date="1970-01-01", target_groups=["woman"], consents=["anonymous_reporting"]
            )
        await register(s.client, anna, target_groups=["woman"], consents=["matching"], situation="working_in_tech")
        officer = await platform.login("programme_officer", "po-1")
        stats = await s.client.get("/statistics/participants", headers=officer)
        listing = await s.client.get("/participants", headers=officer)
    assert stats.status_code == 200, stats.text
    assert stats.json() == {
        "total": 6,
        "suppressed_below": 5,
        "status": {"intake": 6},
        "situation": {"student": 5, "working_in_tech": None},
        "age_group": {"45_plus": 5, "unknown": None},
        "preferred_language": {"nl": 6},
        "target_group": {"woman": 5},
    }
    assert listing.status_code == 403
    assert "coach or admin" in listing.json()["detail"]


async def test_bad_participant_requests_answer_clearly_and_change_nothing(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        admin = await platform.login("admin", "admin-1")
        anna = await platform.login("coach", "coach-anna")
        bob = await platform.login("coach", "coach-bob")
        officer = await platform.login("programme_officer", "po")
        await s.client.post("/coaches", json={"id": "coach-full", "region": "gld", "max_caseload": 0}, headers=admin)
        pid = (await register(s.client, anna))["id"]
        ended = (await register(s.client, anna))["id"]
        await s.client.post(
            f"/participants/{ended}/trajectory", json={"status": "ended", "reason": "health"}, headers=anna
        )
        before_tables = await table_counts(platform)
        before_events = await event_types(platform)
        valid = {"name": "Piet Bakker", "situation": "student"}
        cases = [
            ("post", "/participants", {**valid, "postcode": "12345"}, anna, 422, "not a Dutch postcode"),
            ("post", "/participants", {**valid, "postcode": "6811 SS"}, anna, 422, "not a Dutch postcode"),
            ("post", "/participants", {**valid, "birth_date": "2030-01-01"}, anna, 422, "younger than 14"),
            ("post", "/participants", {**valid, "phone": "call me"}, anna, 422, "not a phone number"),
            ("post", "/participants", {**valid, "preferred_language": "fr"}, anna, 422, "preferred_language"),
            (
                "post",
                "/participants",
                {**valid, "coach_id": "coach-nobody"},
                admin,
                422,
                "no coach account 'coach-nobody'",
            ),
            ("post", "/participants", {**valid, "coach_id": "coach-full"}, admin, 409, "full caseload"),
            ("post", "/participants", {**valid, "target_groups": ["woman"]}, anna, 422, "needs consent"),
            ("post", "/participants", {**valid, "shoe_size": 44}, anna, 422, "shoe_size"),
            ("post", "/participants", valid, officer, 403, "coach or admin"),
            ("post", "/participants/me", valid, anna, 403, "participant"),
            ("get", f"/participants/{pid}", None, bob, 404, "no participant"),
            ("patch", f"/participants/{pid}", {"name": "Someone Else"}, bob, 404, "no participant"),
            ("patch", f"/participants/{pid}", {"name": None}, anna, 422, "cannot be emptied"),
            ("patch", f"/participants/{pid}", {"postcode": "1234"}, anna, 422, "not a Dutch postcode"),
            ("put", f"/participants/{pid}/coach", {"coach_id": "coach-bob"}, bob, 404, "no participant"),
            ("put", f"/participants/{pid}/coach", {"coach_id": "coach-nobody"}, anna, 422, "no coach account"),
            ("post", f"/participants/{pid}/trajectory", {"status": "placed"}, anna, 422, "cannot move to placed"),
            ("post", f"/participants/{pid}/trajectory", {"status": "ended"}, anna, 422, "needs a reason"),
            ("post", f"/participants/{ended}/trajectory", {"status": "active"}, anna, 422, "it is finished"),
            ("post", f"/participants/{pid}/notes", {"text": "hello"}, bob, 404, "no participant"),
            ("get", f"/participants/{pid}/timeline", None, bob, 404, "no participant"),
            (
                "post",
                f"/participants/{pid}/consents",
                {"purpose": "coaching", "given": True},
                bob,
                404,
                "no participant",
            ),
            (
                "post",
                f"/participants/{pid}/consents",
                {"purpose": "share_with_employer", "given": True},
                anna,
                422,
                "employer_id",
            ),
            ("delete", f"/participants/{pid}", None, anna, 403, "admin"),
            ("get", "/participants", {"coach_id": "coach-bob"}, anna, 403, "own caseload"),
            ("get", "/participants", {"postcode_area": "68"}, admin, 422, "postcode_area"),
        ]
        for method, url, payload, headers, status, words in cases:
            if method in ("get", "delete"):
                response = await s.client.request(method, url, params=payload, headers=headers)  # type: ignore[arg-type]
            else:
                response = await s.client.request(method, url, json=payload, headers=headers)
            assert response.status_code == status, (method, url, response.text)
            assert words in response.json()["detail"], (method, url, response.text)
        after_tables = await table_counts(platform)
        after_events = await event_types(platform)
    # Refused reads are not logged as reads either: nothing at all changed.
    assert after_tables == before_tables
    assert after_events == before_events
