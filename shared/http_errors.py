"""Every error answer of every route, rendered in one place.

A :class:`~shared.errors.ClientError` answers its status, ``{"detail": ...}`` (and ``errors``
for invalid requests) and its headers; FastAPI's validation errors answer as
:class:`~shared.errors.InvalidRequest`; Starlette's own errors (an unknown path, a wrong
method) keep their status; a database that cannot be reached just now answers 503 with
``Retry-After`` (nothing was committed, so sending again is safe); anything else is a logged
500 that quotes the request id.
:class:`shared.service.ObserveRequests` answers the 500s, and adds the ``X-Request-Id`` header
to every answer.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from shared.db.availability import RETRY_AFTER_SECONDS, database_unavailable
from shared.errors import ClientError, InvalidRequest

log = logging.getLogger(__name__)


class Problem(BaseModel):
    """Every 4xx and 5xx answer."""

    detail: str
    errors: list[dict[str, str]] | None = Field(
        default=None, description="Per field (``field``, ``message``), for validation errors"
    )


def _answer(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


# The error answers a route may give, by what the route is (documented where the route does not say itself).
SIGNED_IN = {
    "401": _answer("No valid bearer token, or it has expired"),
    "403": _answer("The caller's account, role or party may not do this"),
}
FINDING = {"404": _answer("No such record within the caller's reach (in the path, or named in the body)")}
WITH_ID = {"410": _answer("The record existed and was erased (a participant, after erasure)")}
CHANGING = {"409": _answer("The record's state does not allow this now (for example already decided or closed)")}
WITH_BODY = {
    "400": _answer("The body could not be read (not JSON, or not in the encoding it claims)"),
    "413": _answer("The body is larger than the service accepts"),
}
ALWAYS = {
    "422": _answer("Not valid: ``detail`` sums it up, ``errors`` names each field and what is wrong with it"),
    "503": _answer("The database cannot be reached just now; nothing was changed; send again after Retry-After"),
}


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every operation's possible error answers, all in the shape of :class:`Problem`.

    FastAPI documents a 422 of its own shape and no other error; Regionet's routes answer the
    statuses of :mod:`shared.errors` in one shape. An operation that lists its own 401 (a hot
    route) is left as it is.
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if "401" in responses:
                continue
            extra: dict[str, Any] = dict(ALWAYS)
            if operation.get("security"):
                extra |= SIGNED_IN | FINDING
            if re.search(r"\{[^}]+\}", path):
                extra |= FINDING | WITH_ID
            if method in ("post", "put", "patch", "delete"):
                extra |= CHANGING
            if "requestBody" in operation:
                extra |= WITH_BODY
            for status, answer in extra.items():
                responses[status] = answer
    return document


def error_response(exc: Exception, request_id: str) -> JSONResponse:
    """The answer to ``exc`` raised while serving the request ``request_id``."""
    if isinstance(exc, RequestValidationError):
        exc = InvalidRequest(exc.errors())
    if isinstance(exc, ClientError):
        return JSONResponse(status_code=exc.status, content=exc.content(), headers=dict(exc.headers))
    if isinstance(exc, HTTPException):
        return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers)
    if database_unavailable(exc):
        log.warning("database unavailable", extra={"error_type": type(exc).__name__})
        detail = (
            f"The service cannot reach its database just now; nothing was changed."
            f" Send the request again in {RETRY_AFTER_SECONDS} seconds."
        )
        return JSONResponse(
            status_code=503, content={"detail": detail}, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    # Logged by its stack only: its message may quote what a client sent.
    frames = traceback.extract_tb(exc.__traceback__)[-10:]
    log.error(
        "unexpected error",
        extra={"error_type": type(exc).__name__, "stack": [f"{f.filename}:{f.lineno} in {f.name}" for f in frames]},
    )
    detail = f"Something went wrong on our side. Quote request id {request_id} when reporting it."
    return JSONResponse(status_code=500, content={"detail": detail})


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    return error_response(exc, str(getattr(request.state, "request_id", "unknown")))


def install_error_handlers(app: FastAPI) -> None:
    """Answer the client errors of ``app``'s routes through :func:`error_response`."""
    for kind in (RequestValidationError, ClientError, HTTPException):
        app.add_exception_handler(kind, _handle)
