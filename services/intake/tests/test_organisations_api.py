"""Employers, providers, courses and coach accounts through the HTTP API."""

from __future__ import annotations

import uuid
from typing import Any

from services.intake.app import definition as intake
from services.intake.tests.observe import event_types, published, table_counts
from tests.support.platform import Platform, run_service

GELRE: dict[str, Any] = {
    "kvk_number": "1234 5678",
    "name": "Installatiebedrijf Gelre B.V.",
    "sector": "installatietechniek",
    "employee_count": 45,
    "postcode": "6811ab",
    "city": "Arnhem",
    "accredited_learning_company": True,
    "contacts": [{"name": "Henk Kuipers", "email": "henk@gelre.example", "phone": "026 1234567"}],
}


async def test_an_employer_is_registered_with_derived_size_class_and_contacts_stay_in_intake(
    platform: Platform,
) -> None:
    async with run_service(platform, intake) as s:
        coach = await platform.login("coach", "coach-anna")
        created = await s.client.post("/employers", json=GELRE, headers=coach)
        assert created.status_code == 201, created.text
        employer = created.json()
        assert (employer["kvk_number"], employer["size_class"], employer["postcode_area"]) == (
            "12345678",
            "mkb",
            "6811",
        )
        assert employer["contacts"][0]["name"] == "Henk Kuipers"
        grown = await s.client.patch(f"/employers/{employer['id']}", json={"employee_count": 250}, headers=coach)
        assert grown.json()["size_class"] == "large"
        same = await s.client.patch(f"/employers/{employer['id']}", json={"employee_count": 250}, headers=coach)
        assert same.status_code == 200
        contact = await s.client.post(
            f"/employers/{employer['id']}/contacts", json={"name": "Ria Mulder", "job_title": "HR"}, headers=coach
        )
        assert [c["name"] for c in contact.json()["contacts"]] == ["Henk Kuipers", "Ria Mulder"]
        officer_view = await s.client.get(
            f"/employers/{employer['id']}", headers=await platform.login("programme_officer", "po")
        )
        assert officer_view.json()["contacts"] is None
        found = await s.client.get("/employers", params={"kvk_number": "12345678"}, headers=coach)
        assert [e["id"] for e in found.json()] == [employer["id"]]
        events = await published(platform)

    assert [e["type"] for e in events] == ["employer.registered", "employer.updated"]
    assert events[0]["data"]["size_class"] == "mkb"
    assert events[1]["data"]["changed_fields"] == ["employee_count", "size_class"]
    raw = b"".join(await platform.stream_messages("INTAKE"))
    assert b"Henk" not in raw
    assert b"henk@gelre.example" not in raw
    assert b"Ria" not in raw


async def test_providers_publish_courses_priced_in_cents(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        admin = await platform.login("admin", "admin-1")
        created = await s.client.post(
            "/providers",
            json={"kvk_number": "87654321", "name": "Technica Opleidingen", "accredited": True},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        provider_id = created.json()["id"]
        user = {"id": "prov-1", "role": "provider", "party": provider_id}
        assert (await s.client.post("/accounts", json=user, headers=admin)).status_code == 201
        own = await s.client.post(
            f"/providers/{provider_id}/courses",
            json={"title": "Basis lassen", "price_cents": 125_000, "duration_hours": 40},
            headers=platform.auth("provider", "prov-1"),
        )
        assert own.status_code == 201, own.text
        other = await s.client.post(
            f"/providers/{provider_id}/courses",
            json={"title": "Hacked", "price_cents": 1, "duration_hours": 1},
            headers=await platform.login("provider", "prov-2", str(uuid.uuid4())),
        )
        assert other.status_code == 403
        assert "own provider's offer" in other.json()["detail"]
        twice = await s.client.post(
            f"/providers/{provider_id}/courses",
            json={"title": "Basis lassen", "price_cents": 1, "duration_hours": 1},
            headers=admin,
        )
        assert twice.status_code == 409
        listed = await s.client.get(f"/providers/{provider_id}", headers=await platform.login("coach", "c"))
        assert [(c["title"], c["price_cents"]) for c in listed.json()["courses"]] == [("Basis lassen", 125_000)]
        events = await published(platform)
    assert [e["type"] for e in events] == ["provider.registered", "account.activated", "course.published"]
    assert events[1]["data"] == {"account_id": "prov-1", "role": "provider", "party": provider_id, "language": None}
    assert events[2]["data"]["price_cents"] == 125_000


async def test_administrators_manage_coach_accounts_and_see_caseloads(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        admin = await platform.login("admin", "admin-1")
        created = await s.client.post(
            "/coaches",
            json={"id": "coach-anna", "display_name": "Anna", "region": "gld", "max_caseload": 30},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        anna = platform.auth("coach", "coach-anna")
        await s.client.post("/participants", json={"name": "Jan", "situation": "student"}, headers=anna)
        # A signed token is not an account: nobody becomes a coach by signing in.
        stranger = platform.auth("coach", "coach-new")
        unknown = await s.client.post("/participants", json={"name": "Kees", "situation": "other"}, headers=stranger)
        assert unknown.status_code == 403
        assert "no Regionet account" in unknown.json()["detail"]
        await s.client.post("/coaches", json={"id": "coach-new", "region": "gld"}, headers=admin)
        await s.client.post("/participants", json={"name": "Kees", "situation": "other"}, headers=stranger)
        coaches = (await s.client.get("/coaches", headers=admin)).json()
        assert [(c["id"], c["caseload"], c["max_caseload"]) for c in coaches] == [
            ("coach-anna", 1, 30),
            ("coach-new", 1, None),
        ]
        deactivated = await s.client.patch("/coaches/coach-anna", json={"active": False}, headers=admin)
        assert deactivated.json()["active"] is False
        refused = await s.client.get("/participants", headers=anna)
        assert refused.status_code == 403
        assert "deactivated" in refused.json()["detail"]
        assert (await s.client.get("/coaches/coach-anna", headers=admin)).json()["caseload"] == 1


async def test_bad_organisation_and_account_requests_answer_clearly_and_change_nothing(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        admin = await platform.login("admin", "admin-1")
        coach = await platform.login("coach", "coach-anna")
        employer = (await s.client.post("/employers", json=GELRE, headers=coach)).json()
        provider = (
            await s.client.post("/providers", json={"kvk_number": "87654321", "name": "Technica"}, headers=admin)
        ).json()
        await s.client.post("/coaches", json={"id": "coach-bob", "region": "gld"}, headers=admin)
        some_employer = await platform.login("employer", "e", str(uuid.uuid4()))
        before_tables = await table_counts(platform)
        before_events = await event_types(platform)
        cases = [
            ("post", "/employers", {**GELRE, "kvk_number": "1234567"}, coach, 422, "exactly 8 digits"),
            ("post", "/employers", {**GELRE, "kvk_number": "KVK12345"}, coach, 422, "exactly 8 digits"),
            ("post", "/employers", {**GELRE, "kvk_number": "12.34.56.78"}, coach, 409, "already registered"),
            ("post", "/employers", {**GELRE, "kvk_number": "23456789", "postcode": "68111"}, coach, 422, "postcode"),
            (
                "post",
                "/employers",
                {**GELRE, "kvk_number": "23456789", "employee_count": -1},
                coach,
                422,
                "employee_count",
            ),
            (
                "post",
                "/employers",
                {**GELRE, "kvk_number": "23456789"},
                some_employer,
                403,
                "coach or admin",
            ),
            ("patch", f"/employers/{employer['id']}", {"name": None}, coach, 422, "cannot be emptied"),
            ("patch", "/employers/00000000-0000-0000-0000-000000000000", {"name": "X"}, coach, 404, "no employer"),
            ("post", "/providers", {"kvk_number": "87654321", "name": "Again"}, admin, 409, "already registered"),
            ("post", "/coaches", {"id": "coach-utr", "region": "utr"}, admin, 422, "serves region 'gld'"),
            ("patch", "/coaches/coach-bob", {"region": "utr"}, admin, 422, "serves region 'gld'"),
            ("post", "/providers", {"kvk_number": "999", "name": "Bad"}, admin, 422, "exactly 8 digits"),
            ("post", "/providers", {"kvk_number": "99999999", "name": "Nope"}, coach, 403, "admin"),
            (
                "post",
                f"/providers/{provider['id']}/courses",
                {"title": "T", "price_cents": -5, "duration_hours": 1},
                admin,
                422,
                "price_cents",
            ),
            (
                "post",
                f"/providers/{provider['id']}/courses",
                {"title": "T", "price_cents": 5, "duration_hours": 1},
                coach,
                403,
                "admin or provider",
            ),
            ("post", "/coaches", {"id": "coach-bob", "region": "gld"}, admin, 409, "already an account"),
            ("post", "/coaches", {"id": "coach-x", "region": "Gelderland!"}, admin, 422, "region"),
            ("post", "/coaches", {"id": "coach-x", "region": "gld"}, coach, 403, "admin"),
            ("patch", "/coaches/coach-bob", {"active": None}, admin, 422, "cannot be emptied"),
            ("patch", "/coaches/coach-nobody", {"active": False}, admin, 404, "no coach account"),
        ]
        for method, url, payload, headers, status, words in cases:
            response = await s.client.request(method, url, json=payload, headers=headers)
            assert response.status_code == status, (method, url, response.text)
            assert words in response.json()["detail"], (method, url, response.text)
            assert "None" not in response.json()["detail"], (method, url, response.text)
        assert await table_counts(platform) == before_tables
        assert await event_types(platform) == before_events
