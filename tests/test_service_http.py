"""What every service offers over HTTP, and how it answers bad requests."""

from __future__ import annotations

from typing import Any

import pytest

from services.intake.app import definition as intake
from services.matching.app import definition as matching
from services.notifications.app import definition as notifications
from services.vouchers.app import definition as vouchers
from shared.service import ServiceDefinition
from tests.support.platform import Platform, run_service


@pytest.mark.parametrize("definition", [intake, vouchers, matching, notifications], ids=lambda d: d.name)
async def test_service_reports_health_readiness_metrics_and_api_docs(
    platform: Platform, definition: ServiceDefinition
) -> None:
    async with run_service(platform, definition) as s:
        assert (await s.client.get("/health")).json() == {"status": "ok", "service": definition.name}
        ready = await s.client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"postgres": True, "migrations": True, "nats": True, "jetstream": True}
        metrics = await s.client.get("/metrics")
        assert "regionet_http_requests_total" in metrics.text
        assert (await s.client.get("/docs")).status_code == 200
        document = (await s.client.get("/openapi.json")).json()
        assert document["info"]["title"] == definition.title
        assert not _unresolved_refs(document, document), "every $ref in the OpenAPI document resolves"
        for route in definition.hot_routes:
            assert route.method.lower() in document["paths"][route.path], f"{route.path} is documented"
        asyncapi = (await s.client.get("/asyncapi.json")).json()
        assert asyncapi["asyncapi"] == "3.0.0"


def _unresolved_refs(node: object, document: dict[str, Any]) -> list[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        missing = []
        if isinstance(ref, str) and ref.split("/")[-1] not in document.get("components", {}).get("schemas", {}):
            missing.append(ref)
        return missing + [m for v in node.values() for m in _unresolved_refs(v, document)]
    if isinstance(node, list):
        return [m for v in node for m in _unresolved_refs(v, document)]
    return []


async def count_participants(platform: Platform) -> int:
    import asyncpg

    conn = await asyncpg.connect(platform.admin_dsn)
    try:
        n: int = await conn.fetchval("SELECT count(*) FROM intake.participants")
        return n
    finally:
        await conn.close()


async def test_bad_requests_get_clear_4xx_answers_and_change_nothing(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        coach = await platform.login("coach", "coach-1")
        valid = {"name": "Ayşe Yılmaz", "situation": "looking_for_work"}
        cases = [
            (s.client.post("/participants", json=valid), 401, "needs a token"),
            (
                s.client.post("/participants", json=valid, headers={"Authorization": "Bearer nonsense"}),
                401,
                "not valid",
            ),
            (
                s.client.post("/participants", json=valid, headers=await platform.login("employer", "e-1")),
                403,
                "coach or admin",
            ),
            (s.client.post("/participants", json={**valid, "situation": "astronaut"}, headers=coach), 422, "situation"),
            (s.client.post("/participants", json={**valid, "email": "not-an-email"}, headers=coach), 422, "email"),
            (s.client.post("/participants", json={**valid, "coach_id": "coach-2"}, headers=coach), 403, "own caseload"),
            (
                s.client.post(
                    "/participants", content=b"{broken", headers={**coach, "content-type": "application/json"}
                ),
                422,
                "JSON",
            ),
            (s.client.get("/participants/not-a-uuid", headers=coach), 422, "participant_id"),
            (s.client.get("/participants/00000000-0000-0000-0000-000000000000", headers=coach), 404, "no participant"),
        ]
        for request, status, words in cases:
            response = await request
            assert response.status_code == status, response.text
            assert words in response.json()["detail"], response.text
        assert await count_participants(platform) == 0
        assert await platform.stream_messages("INTAKE") == []


async def test_coach_cannot_read_another_coachs_participant(platform: Platform) -> None:
    async with run_service(platform, intake) as s:
        created = await s.client.post(
            "/participants",
            json={"name": "Piet Bakker", "situation": "student"},
            headers=await platform.login("coach", "coach-1"),
        )
        pid = created.json()["id"]
        mine = await s.client.get(f"/participants/{pid}", headers=await platform.login("coach", "coach-1"))
        theirs = await s.client.get(f"/participants/{pid}", headers=await platform.login("coach", "coach-2"))
        admin = await s.client.get(f"/participants/{pid}", headers=await platform.login("admin", "admin-1"))
    assert (mine.status_code, theirs.status_code, admin.status_code) == (200, 404, 200)


async def test_unexpected_errors_answer_500_with_the_request_id_and_no_details(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    from fastapi import APIRouter

    broken = APIRouter()

    @broken.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: Jan Jansen")

    definition = ServiceDefinition(name="matching", title="broken", description="", routers=[broken])
    async with run_service(platform, definition) as s:
        response = await s.client.get("/boom", headers={"x-request-id": "req-9"})
    assert response.status_code == 500
    logged = [r for r in caplog.records if r.getMessage() == "unexpected error"]
    assert [r.error_type for r in logged] == ["RuntimeError"]  # type: ignore[attr-defined]
    assert "Jan Jansen" not in caplog.text
    assert all("Jan Jansen" not in str(vars(r)) for r in caplog.records)
    assert response.json() == {"detail": "Something went wrong on our side. Quote request id req-9 when reporting it."}


async def test_hot_routes_and_fastapi_routes_answer_errors_alike(platform: Platform) -> None:
    async with run_service(platform, vouchers) as s:
        hot, ordinary = "/programmes/00000000-0000-0000-0000-000000000000/applications", "/applications"
        officer = await platform.login("programme_officer", "officer-1")
        unauthenticated = [await s.client.post(hot, json={}), await s.client.get(ordinary)]
        forbidden = await s.client.post(hot, json={}, headers=officer)
        participant = await platform.login("participant", "00000000-0000-0000-0000-000000000001")
        invalid = [
            await s.client.post("/programmes/nonsense/applications", json={}, headers=participant),
            await s.client.get("/applications/nonsense", headers=participant),
        ]
    for answer in unauthenticated:
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json() == {"detail": "this endpoint needs a token: send 'Authorization: Bearer <token>'"}
    assert forbidden.status_code == 403, forbidden.text
    assert "needs the role" in forbidden.json()["detail"]
    for answer in invalid:
        assert answer.status_code == 422, answer.text
        assert set(answer.json()) == {"detail", "errors"}
        assert answer.json()["detail"].startswith("The request is not valid.")
    for answer in [*unauthenticated, forbidden, *invalid]:
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["x-request-id"]
