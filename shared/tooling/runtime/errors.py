"""The one error type the runtime raises for failures a user can act on."""

from __future__ import annotations


class StartupError(RuntimeError):
    """Something Regionet needs could not be started or reached; the message says what to do.

    The CLI prints the message (and ``detail``, e.g. the tail of a log) without a traceback.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail
