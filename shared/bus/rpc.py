"""Request–reply between services over core NATS: declared by the answering service, callers named.

A service declares what it answers in its ``subscribers`` module (``RESPONDERS``): the
operation, which services may call it, and the function that answers. The topology grants
publish rights on ``rpc.<region>.<service>.<operation>`` to the named callers only, and the
runtime answers each request after checking the caller again, from the reply subject: every
service receives replies only under its own inbox prefix (``_INBOX_<service>``), a subject no
other service may subscribe to, so the prefix says who will read the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.service import Runtime

# The answer to a caller the operation does not name.
NOT_ALLOWED = b'{"reason": "not_allowed"}'
INBOX_PREFIX = "_INBOX_"


@dataclass(frozen=True)
class RpcSpec:
    """One request–reply operation a service answers, and the services that may ask."""

    service: str
    operation: str
    callers: tuple[str, ...]
    description: str = ""

    def subject(self, region: str) -> str:
        """The request subject in one region."""
        return f"rpc.{region}.{self.service}.{self.operation}"


# (the answering service's runtime, request body, calling service) → reply body
Answer = Callable[["Runtime", bytes, str], Awaitable[bytes]]


@dataclass(frozen=True)
class Responder:
    """An operation and the function that answers it."""

    spec: RpcSpec
    answer: Answer


def inbox_prefix(service: str) -> str:
    """Each service's private reply-subject prefix, so it cannot read other services' replies."""
    return f"{INBOX_PREFIX}{service}"


def caller_of(reply_subject: str | None) -> str | None:
    """The service whose inbox a reply subject belongs to, or None for anyone else."""
    if not reply_subject or not reply_subject.startswith(INBOX_PREFIX):
        return None
    service = reply_subject.removeprefix(INBOX_PREFIX).split(".", 1)[0]
    return service or None
