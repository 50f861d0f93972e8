"""The web UI's session: a signed cookie holding who signed in, their API token and a CSRF secret.

The cookie is signed (itsdangerous), ``HttpOnly``, ``SameSite=Lax`` and, in production,
``Secure``; it expires with the token it carries. Every page's data comes through the same
token checks and account rules as any API client (:func:`shared.auth.authenticate`): the
session adds no way around them. Every form carries the session's CSRF token and a POST
without it changes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared.settings import ServiceSettings

COOKIE = "regionet_session"
MAX_AGE_SECONDS = 8 * 3600


@dataclass(frozen=True)
class WebSession:
    """Who is signed in to the web UI."""

    token: str  # the bearer token pages use for every request
    csrf: str
    expires: float


def _secret(settings: ServiceSettings) -> str:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    if settings.environment == "development" and settings.jwt_secret is not None:
        # ./dev up: derived from the development token secret, so nothing more to configure.
        return hashlib.sha256(b"regionet-session:" + settings.jwt_secret.get_secret_value().encode()).hexdigest()
    raise RuntimeError("the web UI needs REGIONET_MATCHING_SESSION_SECRET")


def _serializer(settings: ServiceSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(settings), salt="regionet-web-session")


def read(request: Request) -> WebSession | None:
    """The request's session, if it has a valid, unexpired one."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        data: dict[str, Any] = _serializer(request.app.state.settings).loads(cookie, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    session = WebSession(token=str(data["t"]), csrf=str(data["c"]), expires=float(data["e"]))
    return session if session.expires > time.time() else None


def start(response: Response, settings: ServiceSettings, token: str, expires: float) -> None:
    """Sign in: set the session cookie (a fresh CSRF secret with it)."""
    expires = min(expires, time.time() + MAX_AGE_SECONDS)
    value = _serializer(settings).dumps({"t": token, "c": secrets.token_urlsafe(24), "e": expires})
    response.set_cookie(
        COOKIE,
        value,
        max_age=max(0, int(expires - time.time())),
        httponly=True,
        samesite="lax",
        secure=settings.environment == "production",
        path="/",
    )


def end(response: Response) -> None:
    """Sign out: drop the session cookie."""
    response.delete_cookie(COOKIE, path="/")


def csrf_ok(session: WebSession | None, sent: str | None) -> bool:
    """True when a form's CSRF token is the session's."""
    return session is not None and sent is not None and secrets.compare_digest(session.csrf, sent)
