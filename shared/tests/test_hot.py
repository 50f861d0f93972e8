"""Hot routes answer like FastAPI routes: same error shapes, request ids, metrics and documentation."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from pydantic import BaseModel

from shared.auth import bearer_token
from shared.errors import Conflict
from shared.hot import HotRequest, HotResponse, HotRoute, add_to_openapi, parse_body, starlette_route
from shared.http_errors import install_error_handlers
from shared.service import ObserveRequests


class Order(BaseModel):
    """A body."""

    item: str
    count: int


async def order(request: HotRequest) -> HotResponse:
    if request.headers.get("authorization") is not None:
        bearer_token(request.headers["authorization"])
    body = parse_body(Order, request.body)
    if body.item == "conflict":
        raise Conflict("already ordered")
    if body.item == "boom":
        raise RuntimeError("secret customer data")
    if body.item == "our bug":
        Order.model_validate({"item": "x", "count": "not a number"})  # a ValidationError of our own making
    return HotResponse(201, f'{{"shop":"{request.params["shop"]}","count":{body.count}}}'.encode())


ROUTE = HotRoute(
    "POST",
    "/shops/{shop}/orders",
    order,
    {
        "summary": "Order",
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
    },
    [(Order, "validation")],
)


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()

    @app.get("/shops/{shop}/orders")
    async def list_orders(shop: str) -> dict[str, Any]:
        return {"shop": shop, "orders": []}

    app.router.routes.insert(0, starlette_route(ROUTE, max_body_bytes=100))
    app.add_middleware(ObserveRequests, service="shop")
    install_error_handlers(app)
    documented = app.openapi
    app.openapi = lambda: add_to_openapi(documented(), [ROUTE])  # type: ignore[method-assign]
    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_a_hot_route_answers_and_other_methods_go_on_to_fastapi(app: FastAPI) -> None:
    async with client(app) as c:
        created = await c.post("/shops/north/orders", json={"item": "pump", "count": 2})
        listed = await c.get("/shops/north/orders")
        elsewhere = await c.post("/shops/north/orders/extra", json={})
    assert (created.status_code, created.json()) == (201, {"shop": "north", "count": 2})
    assert created.headers["content-type"] == "application/json"
    assert created.headers["x-request-id"]
    assert listed.json() == {"shop": "north", "orders": []}
    assert elsewhere.status_code == 404
    count = REGISTRY.get_sample_value(
        "regionet_http_requests_total",
        {"service": "shop", "method": "POST", "route": "/shops/{shop}/orders", "status": "201"},
    )
    assert count is not None
    assert count >= 1


async def test_errors_have_the_same_shapes_as_fastapis(app: FastAPI) -> None:
    async with client(app) as c:
        invalid = await c.post("/shops/north/orders", json={"item": "pump"})
        not_json = await c.post("/shops/north/orders", content=b"{")
        conflict = await c.post("/shops/north/orders", json={"item": "conflict", "count": 1})
        too_large = await c.post("/shops/north/orders", json={"item": "x" * 200, "count": 1})
        no_token = await c.post("/shops/north/orders", json={"item": "pump"}, headers={"authorization": "x"})
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == [{"field": "count", "message": "Field required"}]
    assert invalid.json()["detail"] == "The request is not valid. count: Field required"
    assert not_json.status_code == 422
    assert "JSON" in not_json.json()["detail"]
    assert (conflict.status_code, conflict.json()) == (409, {"detail": "already ordered"})
    assert too_large.status_code == 413
    assert "100 bytes" in too_large.json()["detail"]
    assert no_token.status_code == 401
    assert no_token.headers["www-authenticate"] == "Bearer"
    assert "needs a token" in no_token.json()["detail"]
    answers = [invalid, not_json, conflict, too_large, no_token]
    assert all(a.headers["x-request-id"] and a.headers["content-type"] == "application/json" for a in answers)


async def test_an_unexpected_error_is_a_500_that_quotes_the_request_id_and_never_logs_the_message(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        async with client(app) as c:
            response = await c.post("/shops/north/orders", json={"item": "boom", "count": 1})
    assert response.status_code == 500
    assert response.headers["x-request-id"] in response.json()["detail"]
    assert "secret" not in response.text
    records = [r for r in caplog.records if r.getMessage() == "unexpected error"]
    assert records
    assert records[0].__dict__["error_type"] == "RuntimeError"
    async with client(app) as c:
        ours = await c.post("/shops/north/orders", json={"item": "our bug", "count": 1})
    assert ours.status_code == 500, "only what the client sent is a 422"
    assert all("secret" not in str(r.__dict__) for r in caplog.records)


async def test_hot_routes_are_in_the_openapi_document_with_their_schemas(app: FastAPI) -> None:
    async with client(app) as c:
        document = (await c.get("/openapi.json")).json()
    operations = document["paths"]["/shops/{shop}/orders"]
    assert set(operations) == {"get", "post"}
    assert operations["post"]["summary"] == "Order"
    assert set(document["components"]["schemas"]["Order"]["required"]) == {"item", "count"}
