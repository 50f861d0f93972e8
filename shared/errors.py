"""Errors a client can cause, each answered with a clear 4xx by the HTTP layer.

Every route answers them the same way (:mod:`shared.http_errors`): ``status``, ``{"detail":
...}`` (and ``errors`` for :class:`InvalidRequest`) and the error's ``headers``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any


class ClientError(Exception):
    """Something the caller sent or asked for cannot be done; ``status`` says how."""

    status = 400
    headers: Mapping[str, str] = MappingProxyType({})

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def content(self) -> dict[str, Any]:
        """The JSON body of the answer."""
        return {"detail": self.message}


class Unauthorized(ClientError):
    """The caller sent no valid token: the answer asks for a bearer token."""

    status = 401
    headers = MappingProxyType({"WWW-Authenticate": "Bearer"})


class Forbidden(ClientError):
    """The caller is known but may not do this."""

    status = 403


class NotFound(ClientError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    status = 404


class Conflict(ClientError):
    """The request clashes with the current state (a duplicate, a finished process)."""

    status = 409


class PayloadTooLarge(ClientError):
    """The request body is larger than the route accepts."""

    status = 413


class Unprocessable(ClientError):
    """The request is well-formed but breaks a rule of the domain."""

    status = 422


class InvalidRequest(ClientError):
    """What a client sent is not valid: answered 422 with a summary and each field's message.

    ``errors`` are pydantic-style, as FastAPI's validation errors are: each with ``loc`` (e.g.
    ``("path", "programme_id")``, or the body field's path) and ``msg``.
    """

    status = 422

    def __init__(self, errors: Sequence[Mapping[str, Any]]) -> None:
        self.fields = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body", "message": e.get("msg", "")}
            for e in errors
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in self.fields[:5])
        super().__init__(f"The request is not valid. {summary}")

    def content(self) -> dict[str, Any]:
        """The summary and each field's message."""
        return {"detail": self.message, "errors": self.fields}
