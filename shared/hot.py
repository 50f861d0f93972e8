"""Hot routes: the few endpoints that take a rush, served as plain ASGI beside FastAPI.

FastAPI resolves dependencies, builds a ``Request``, matches every route in turn and wraps the
call in several layers of middleware; for an ordinary endpoint that is a fair price, but on
the voucher application endpoint during an opening rush it was about a third of the service's
CPU per request. A :class:`HotRoute` does the same job directly: it matches one method and
path, reads and size-limits the body, and hands its endpoint a :class:`HotRequest`; the
endpoint parses with pydantic (:func:`parse_body`) and answers JSON. Everything else still goes to FastAPI.

What a client sees does not change: the same error shapes as the FastAPI handlers in
:mod:`shared.service` (``{"detail": ...}``, and for validation errors also ``errors``), the
request id, metrics and log line of :class:`shared.service.ObserveRequests` (which wraps both),
and the route in ``/openapi.json`` with its body, headers and answers (see :func:`add_to_openapi`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.datastructures import Headers, State
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.errors import ClientError, InvalidRequest, PayloadTooLarge
from shared.http_errors import error_response

__all__ = [
    "MAX_BODY_BYTES",
    "HotRequest",
    "HotResponse",
    "HotRoute",
    "HotRoutes",
    "InvalidRequest",
    "add_to_openapi",
    "parse_body",
    "starlette_route",
]

MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class HotRequest:
    """What a hot endpoint gets: the app's state, path parameters, headers and the whole body."""

    state: State
    params: Mapping[str, str]
    headers: Headers
    body: bytes


@dataclass(frozen=True)
class HotResponse:
    """A JSON answer."""

    status: int
    body: bytes


@dataclass(frozen=True)
class HotRoute:
    """One method and path served without FastAPI, documented in the OpenAPI document all the same.

    ``path`` is a template like ``/programmes/{programme_id}/applications``; each ``{name}``
    matches one path segment. ``operation`` is the OpenAPI operation object; ``models`` are the
    pydantic models it refers to as ``#/components/schemas/<Name>``, each with the mode
    (``validation`` for bodies, ``serialization`` for answers) its schema is taken in.
    """

    method: str
    path: str
    endpoint: Callable[[HotRequest], Awaitable[HotResponse]]
    operation: Mapping[str, Any] = field(default_factory=dict)
    models: Sequence[tuple[type[BaseModel], str]] = ()

    @property
    def pattern(self) -> re.Pattern[str]:
        """The path template as a regular expression with one named group per parameter."""
        return _compile(self.path)


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$")


M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M], body: bytes) -> M:
    """The JSON body as ``model``; :class:`InvalidRequest` if it is not valid.

    Only what the client sent is turned into a 422 this way: a ``ValidationError`` anywhere else
    in an endpoint is a bug on our side and answers 500.
    """
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidRequest(exc.errors(include_url=False, include_input=False)) from None


async def _read_body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
            chunks.append(chunk)
    except ClientDisconnect:
        # As FastAPI answers a body it could not read; nobody is left to read the answer.
        raise ClientError("There was an error reading the body.") from None
    return b"".join(chunks)


async def _answer(route: HotRoute, request: Request, params: Mapping[str, str], max_body_bytes: int) -> Response:
    body = await _read_body(request, max_body_bytes)
    answer = await route.endpoint(HotRequest(request.app.state, params, request.headers, body))
    return Response(answer.body, status_code=answer.status, media_type="application/json")


def starlette_route(route: HotRoute, max_body_bytes: int = MAX_BODY_BYTES) -> Route:
    """``route`` as a plain Starlette route: the app's exception handlers answer its errors."""

    async def endpoint(request: Request) -> Response:
        return await _answer(route, request, request.path_params, max_body_bytes)

    endpoint.__name__ = route.endpoint.__name__
    return Route(route.path, endpoint, methods=[route.method])


class HotRoutes:
    """ASGI middleware: requests for a hot route are answered here, all others go on to the app."""

    def __init__(self, app: ASGIApp, routes: Sequence[HotRoute], max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.routes = [(route, route.pattern) for route in routes]
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a hot route, or pass the request on."""
        if scope["type"] == "http":
            for route, pattern in self.routes:
                if scope["method"] == route.method:
                    match = pattern.match(scope["path"])
                    if match is not None:
                        scope["route"] = route  # the metrics label, as Starlette sets it for its routes
                        await self._serve(route, match.groupdict(), scope, receive, send)
                        return
        await self.app(scope, receive, send)

    async def _serve(self, route: HotRoute, params: dict[str, str], scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await _answer(route, Request(scope, receive), params, self.max_body_bytes)
        except ClientError as exc:
            response = error_response(exc, scope.get("state", {}).get("request_id", "unknown"))
        await response(scope, receive, send)


def add_to_openapi(document: dict[str, Any], routes: Sequence[HotRoute]) -> dict[str, Any]:
    """``document`` (FastAPI's OpenAPI document) with the hot routes' operations and schemas added."""
    models = [m for route in routes for m in route.models]
    if models:
        _, schemas = models_json_schema(
            [(model, mode) for model, mode in models],  # type: ignore[misc]
            ref_template="#/components/schemas/{model}",
        )
        components = document.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in schemas.get("$defs", {}).items():
            components.setdefault(name, schema)
    paths = document.setdefault("paths", {})
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = dict(route.operation)
    return document
