"""Errors a client can cause, each mapped to a clear 4xx answer by the HTTP layer."""

from __future__ import annotations


class ClientError(Exception):
    """Something the caller sent or asked for cannot be done; ``status`` says how."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ClientError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    status = 404


class Forbidden(ClientError):
    """The caller is known but may not do this."""

    status = 403


class Conflict(ClientError):
    """The request clashes with the current state (a duplicate, a finished process)."""

    status = 409


class Unprocessable(ClientError):
    """The request is well-formed but breaks a rule of the domain."""

    status = 422
