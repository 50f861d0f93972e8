"""The web UI's frame: sign-in (development picker or the region's OIDC provider), home, sign-out, assets.

Server-rendered (Jinja2), no JavaScript needed, every asset served here. Pages get the
signed-in person exactly as the API does (:func:`shared.auth.authenticate` on the session's
token), so a page can never do what its user could not do through the API.
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from services.matching.web import oidc, session
from services.matching.web.common import (
    HERE,
    LANDING,
    Viewer,
    error_page,
    page,
    require,
    served_paths,
    settings_of,
)
from shared.accounts import Account
from shared.auth import Role, authenticate, issue_token
from shared.errors import ClientError
from shared.settings import DEV_JWT_ISSUER

# The UI's own assets by kind (no CDN): whatever lies in static/ with one of these endings.
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
SIGNIN_CSRF_COOKIE = "regionet_signin_csrf"

router = APIRouter(include_in_schema=False)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """The UI's own stylesheets and scripts (no CDN)."""
    path = HERE / "static" / name
    if "/" in name or name.startswith(".") or path.suffix not in MEDIA_TYPES or not path.is_file():
        return Response(status_code=404)
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers={"cache-control": "max-age=3600"})


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    """The role's own start page; who is signed in, for roles without pages of their own."""
    viewer = await require(request)
    if not isinstance(viewer, Viewer):
        return viewer
    landing = LANDING.get(viewer.role)
    if landing is not None and landing in served_paths():
        return RedirectResponse(landing, status_code=303)
    return page(request, "home.html", {"principal": viewer.principal}, viewer=viewer)


async def _dev_accounts(request: Request) -> list[Account]:
    async with request.app.state.runtime.pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM accounts WHERE active ORDER BY role, id LIMIT 500")
    return [Account(r["id"], Role(r["role"]), r["party"], r["region"], r["active"], r["language"]) for r in rows]


@router.get("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    """Development: pick an account. Production: a button to the region's sign-in."""
    settings = settings_of(request)
    if settings.environment == "production":
        return page(request, "signin.html", {"development": False})
    token = secrets.token_urlsafe(24)
    response = page(
        request, "signin.html", {"development": True, "accounts": await _dev_accounts(request), "csrf": token}
    )
    response.set_cookie(SIGNIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict")
    return response


@router.post("/signin", response_class=HTMLResponse)
async def signin_as(
    request: Request,
    account: Annotated[str, Form(min_length=1, max_length=255)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Development only: sign in as one of the region's accounts, with a development token."""
    settings = settings_of(request)
    if settings.environment != "development" or settings.jwt_secret is None:
        return error_page(request, "error.signin", 404, "development sign-in is off in production")
    expected = request.cookies.get(SIGNIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf):
        return error_page(request, "error.csrf", 403)
    found = await request.app.state.accounts.lookup(account)
    if found is None or not found.active:
        return error_page(request, "error.signin", 403, f"no active account {account!r}")
    ttl = session.MAX_AGE_SECONDS
    token = issue_token(
        settings.jwt_secret.get_secret_value(),
        sub=found.id,
        role=found.role,
        region=settings.region,
        issuer=DEV_JWT_ISSUER,
        audience=settings.jwt_audience,
        ttl_seconds=ttl,
    )
    response = RedirectResponse("/", status_code=303)
    session.start(response, settings, token, time.time() + ttl)
    response.delete_cookie(SIGNIN_CSRF_COOKIE)
    return response


@router.get("/signin/oidc")
async def signin_oidc(request: Request) -> Response:
    """Production: off to the region's OIDC provider (authorization code with PKCE)."""
    settings = settings_of(request)
    if settings.oidc_client_id is None:
        return error_page(
            request, "error.signin", 404, "this deployment has no OIDC client (REGIONET_MATCHING_OIDC_CLIENT_ID)"
        )
    try:
        provider = await oidc.discover(settings)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the provider is told to the person
        return error_page(
            request, "error.signin", 502, f"the sign-in provider could not be reached ({type(exc).__name__})"
        )
    url, flow = oidc.begin(settings, provider)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        oidc.FLOW_COOKIE, flow, max_age=oidc.FLOW_SECONDS, httponly=True, samesite="lax",
        secure=settings.environment == "production",
    )  # fmt: skip
    return response


@router.get("/signin/callback")
async def signin_callback(
    request: Request,
    code: Annotated[str, Query(max_length=4096)] = "",
    state: Annotated[str, Query(max_length=512)] = "",
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The provider's answer: check it, and sign in as the account of its subject."""
    settings = settings_of(request)
    if error is not None or not code or settings.oidc_client_id is None:
        return error_page(request, "error.signin", 400, error or "the sign-in provider sent no code")
    try:
        provider = await oidc.discover(settings)
        tokens = await oidc.finish(settings, provider, request.cookies.get(oidc.FLOW_COOKIE), code, state)
        principal = await authenticate(request.app.state, tokens.access_token)
    except ClientError as exc:
        return error_page(request, "error.signin", exc.status, exc.message)
    if principal.sub != tokens.subject:
        return error_page(request, "error.signin", 403, "the access token and the ID token name different people")
    response = RedirectResponse("/", status_code=303)
    session.start(response, settings, tokens.access_token, tokens.expires_at)
    response.delete_cookie(oidc.FLOW_COOKIE)
    return response


@router.post("/signout")
async def signout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Sign out (the form's CSRF token must be the session's)."""
    if not session.csrf_ok(session.read(request), csrf):
        return error_page(request, "error.csrf", 403)
    response = RedirectResponse("/signin", status_code=303)
    session.end(response)
    return response
