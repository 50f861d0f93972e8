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
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from shared.db.availability import RETRY_AFTER_SECONDS, database_unavailable
from shared.errors import ClientError, InvalidRequest

log = logging.getLogger(__name__)


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
