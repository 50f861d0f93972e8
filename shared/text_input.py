"""Control characters never enter Regionet: one guard in front of every route of every service.

A NUL character cannot be stored in a Postgres text column (the insert fails, which used to
answer 500), and the other control characters are never part of a name, a note or a filter:
they are what a broken export, a copy from a terminal or an attacker sends. Tab, line feed and
carriage return stay allowed, since notes and reasons have lines.

The guard is ASGI middleware: it looks at the path, the query string and a JSON body before
any route (hot routes included) sees them, and answers 422 naming each field that holds such a
character, with the same shape as every other validation error. Bodies that are not JSON (the
CSV import's uploads) are checked where they are parsed. A JSON body nested deeper than Python's
parser goes is refused here too (422), as every route's own parsing would fail on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import ClientError, InvalidRequest, PayloadTooLarge
from shared.http_errors import error_response

# C0 controls but tab, line feed and carriage return; DEL; the C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MESSAGE = "contains a control character (such as NUL); remove it and send the text again"
TOO_DEEP = "is JSON nested too deeply for any Regionet request; send the fields the route documents"
# No JSON body of any Regionet route comes near this; a larger one is refused before it is read.
MAX_JSON_BYTES = 1024 * 1024


def has_control_character(text: str) -> bool:
    """True when ``text`` holds a character Regionet refuses in text input."""
    return CONTROL_CHARACTERS.search(text) is not None


def _in_json(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, str):
        if has_control_character(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _in_json(key, path)
            yield from _in_json(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _in_json(item, (*path, index))


def control_character_errors(path: str, query_string: bytes, body: Any = None) -> list[dict[str, Any]]:
    """Pydantic-style errors (``loc``, ``msg``) for every place of a request that holds a control character."""
    errors: list[dict[str, Any]] = []
    if has_control_character(path):
        errors.append({"loc": ("path",), "msg": MESSAGE})
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8"):
        if has_control_character(name) or has_control_character(value):
            errors.append({"loc": ("query", name), "msg": MESSAGE})
    errors += [{"loc": ("body", *where), "msg": MESSAGE} for where in _in_json(body, ())]
    return errors


def _is_json(headers: Headers) -> bool:
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


class RefuseControlCharacters:
    """ASGI middleware that answers 422 for control characters in the path, query or JSON body.

    The answer is rendered like every other error answer (:func:`shared.http_errors.error_response`).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check one request; pass it on unchanged (body replayed) when it is clean."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors = control_character_errors(unquote(scope.get("raw_path", b"").decode("latin-1")), scope["query_string"])
        if not errors and scope["method"] in ("POST", "PUT", "PATCH") and _is_json(Headers(scope=scope)):
            messages = await _drain(receive, MAX_JSON_BYTES)
            if messages is None:
                return
            if not messages:
                too_large = PayloadTooLarge(f"The request body is larger than {MAX_JSON_BYTES} bytes.")
                await _refuse(too_large, scope, receive, send)
                return
            body = b"".join(m.get("body", b"") for m in messages)
            try:
                parsed = json.loads(body) if body else None
            except RecursionError:
                # Deeper than Python's parser goes: every route's own parsing would fail the same way (a 500).
                await _refuse(InvalidRequest([{"loc": ("body",), "msg": TOO_DEEP}]), scope, receive, send)
                return
            except ValueError:
                parsed = None  # not JSON at all: the route's own parsing answers that
            errors = control_character_errors("", b"", parsed)
            receive = _replay(messages, receive)
        if errors:
            await _refuse(InvalidRequest(errors), scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _refuse(error: ClientError, scope: Scope, receive: Receive, send: Send) -> None:
    await error_response(error, scope.get("state", {}).get("request_id", "unknown"))(scope, receive, send)


async def _drain(receive: Receive, limit: int) -> list[Message] | None:
    """Every body message of the request; ``[]`` when it is over ``limit`` bytes; None if the client went away."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        size += len(message.get("body", b""))
        if size > limit:
            return []
        messages.append(message)
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
