"""Hot routes: the few endpoints that take a rush, served as plain Starlette routes first in the router.

FastAPI resolves dependencies, validates and builds arguments for every endpoint; for an
ordinary endpoint that is a fair price, but on the voucher application endpoint during an
opening rush it was about a third of the service's CPU per request. A :class:`HotRoute` skips
it: it is a plain Starlette route placed before FastAPI's routes (:func:`starlette_route`) that
reads and size-limits the body and hands its endpoint a :class:`HotRequest`; the endpoint
parses with pydantic (:func:`parse_body`) and answers JSON.

What a client sees does not change: errors are answered by the app's own handlers like those of
every other route (:mod:`shared.http_errors`), with the request id, metrics and log line of
:class:`shared.service.ObserveRequests`, and the route is in ``/openapi.json`` with its body,
headers and answers (see :func:`add_to_openapi`).

An ASGI middleware in front of FastAPI served these routes until December 2026; measured against
this route in one ``./dev bench rush`` run it was not 20 % faster, so it went (``bench/README.md``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.datastructures import Headers, State
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from shared.errors import ClientError, InvalidRequest, PayloadTooLarge

__all__ = [
    "MAX_BODY_BYTES",
    "HotRequest",
    "HotResponse",
    "HotRoute",
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
    """One method and path served without FastAPI's dependency resolution, documented all the same.

    ``path`` is a Starlette path template like ``/programmes/{programme_id}/applications``; each
    ``{name}`` matches one path segment. ``operation`` is the OpenAPI operation object; ``models`` are the
    pydantic models it refers to as ``#/components/schemas/<Name>``, each with the mode
    (``validation`` for bodies, ``serialization`` for answers) its schema is taken in.
    """

    method: str
    path: str
    endpoint: Callable[[HotRequest], Awaitable[HotResponse]]
    operation: Mapping[str, Any] = field(default_factory=dict)
    models: Sequence[tuple[type[BaseModel], str]] = ()


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


def starlette_route(route: HotRoute, max_body_bytes: int = MAX_BODY_BYTES) -> Route:
    """``route`` as a plain Starlette route: the app's exception handlers answer its errors."""

    async def endpoint(request: Request) -> Response:
        request.scope["route"] = served  # the metrics label: FastAPI's router sets it for its own routes only
        body = await _read_body(request, max_body_bytes)
        answer = await route.endpoint(HotRequest(request.app.state, request.path_params, request.headers, body))
        return Response(answer.body, status_code=answer.status, media_type="application/json")

    endpoint.__name__ = route.endpoint.__name__
    served = Route(route.path, endpoint, methods=[route.method])
    return served


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
