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

import json
import logging
import re
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.datastructures import Headers, State
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.errors import ClientError

log = logging.getLogger(__name__)

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


def json_body(content: Any) -> bytes:
    """``content`` as compact JSON."""
    return json.dumps(content, separators=(",", ":"), default=str).encode()


def validation_content(errors: Sequence[Mapping[str, Any]], *, skip: tuple[str, ...] = ("body",)) -> dict[str, Any]:
    """The 422 answer for pydantic errors: a readable summary and each field's message."""
    listed = [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p not in skip) or "body", "message": e.get("msg", "")}
        for e in errors
    ]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in listed[:5])
    return {"detail": f"The request is not valid. {summary}", "errors": listed}


def unexpected_content(exc: BaseException, request_id: str) -> dict[str, str]:
    """Log an unexpected error by its stack only (its message may quote what a client sent); the 500 answer."""
    frames = traceback.extract_tb(exc.__traceback__)[-10:]
    log.error(
        "unexpected error",
        extra={"error_type": type(exc).__name__, "stack": [f"{f.filename}:{f.lineno} in {f.name}" for f in frames]},
    )
    return {"detail": f"Something went wrong on our side. Quote request id {request_id} when reporting it."}


class InvalidRequest(Exception):
    """What a client sent is not valid: answered 422 with each field's message, as FastAPI does.

    ``errors`` are pydantic-style: each with ``loc`` (e.g. ``("path", "programme_id")``, or the
    body field's path) and ``msg``.
    """

    def __init__(self, errors: Sequence[Mapping[str, Any]]) -> None:
        super().__init__("invalid request")
        self.errors = errors


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


class _BodyTooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


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
        extra_headers: Mapping[str, str] | None = None
        try:
            body = await _read_body(receive, self.max_body_bytes)
            request = HotRequest(scope["app"].state, params, Headers(scope=scope), body)
            response = await route.endpoint(request)
            status, content = response.status, response.body
        except _Disconnected:
            return
        except _BodyTooLarge:
            status, content = (
                413,
                json_body({"detail": f"The request body is larger than {self.max_body_bytes} bytes."}),
            )
        except InvalidRequest as exc:
            status, content = 422, json_body(validation_content(exc.errors))
        except ClientError as exc:
            status, content = exc.status, json_body({"detail": exc.message})
        except HTTPException as exc:
            status, content, extra_headers = exc.status_code, json_body({"detail": exc.detail}), exc.headers
        except Exception as exc:  # noqa: BLE001 - every unexpected error becomes a logged 500, as in FastAPI
            request_id = scope.get("state", {}).get("request_id", "unknown")
            status, content = 500, json_body(unexpected_content(exc, request_id))
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
        if extra_headers:
            headers += [(k.lower().encode(), v.encode()) for k, v in extra_headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


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
