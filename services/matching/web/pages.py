"""The web UI's pages so far: sign-in (development picker or the region's OIDC provider), home, sign-out.

Server-rendered (Jinja2), no JavaScript needed, every asset served here. Pages get the
signed-in person exactly as the API does (:func:`shared.auth.authenticate` on the session's
token), so a page can never do what its user could not do through the API.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from services.matching.web import i18n, oidc, session
from shared.accounts import Account
from shared.auth import Principal, Role, authenticate, issue_token
from shared.errors import ClientError
from shared.settings import DEV_JWT_ISSUER, ServiceSettings

HERE = Path(__file__).parent
STATIC = {"regionet.css": "text/css"}
LANGUAGE_COOKIE = "regionet_lang"
SIGNIN_CSRF_COOKIE = "regionet_signin_csrf"

templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)


def _settings(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


def _language(request: Request, account_language: str | None = None) -> str:
    return i18n.choose(
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        account_language,
        i18n.from_accept_language(request.headers.get("accept-language")),
    )


def _page(
    request: Request, name: str, context: dict[str, Any], *, status: int = 200, language: str | None = None
) -> HTMLResponse:
    lang = language or _language(request)
    response = templates.TemplateResponse(
        request,
        name,
        {"t": i18n.translator(lang), "lang": lang, "languages": i18n.LANGUAGE_NAMES, **context},
        status_code=status,
    )
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def _error(request: Request, message_key: str, status: int, detail: str | None = None) -> HTMLResponse:
    return _page(request, "error.html", {"message_key": message_key, "detail": detail}, status=status)


async def _signed_in(request: Request) -> Principal | None:
    """The person the session names, checked as any API caller is; None without a usable session."""
    current = session.read(request)
    if current is None:
        return None
    try:
        return await authenticate(request.app.state, current.token)
    except ClientError:
        return None


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """The UI's own stylesheet (no CDN)."""
    if name not in STATIC:
        return Response(status_code=404)
    return FileResponse(HERE / "static" / name, media_type=STATIC[name])


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    """Who is signed in; the starting point of every role's pages."""
    principal = await _signed_in(request)
    if principal is None:
        return RedirectResponse("/signin", status_code=303)
    account = await request.app.state.accounts.lookup(principal.sub)
    current = session.read(request)
    context = {"principal": principal, "csrf": current.csrf if current else ""}
    return _page(request, "home.html", context, language=_language(request, account.language if account else None))


async def _dev_accounts(request: Request) -> list[Account]:
    async with request.app.state.runtime.pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM accounts WHERE active ORDER BY role, id LIMIT 500")
    return [Account(r["id"], Role(r["role"]), r["party"], r["region"], r["active"], r["language"]) for r in rows]


@router.get("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    """Development: pick an account. Production: a button to the region's sign-in."""
    settings = _settings(request)
    if settings.environment == "production":
        return _page(request, "signin.html", {"development": False})
    token = secrets.token_urlsafe(24)
    response = _page(
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
    settings = _settings(request)
    if settings.environment != "development" or settings.jwt_secret is None:
        return _error(request, "error.signin", 404, "development sign-in is off in production")
    expected = request.cookies.get(SIGNIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf):
        return _error(request, "error.csrf", 403)
    found = await request.app.state.accounts.lookup(account)
    if found is None or not found.active:
        return _error(request, "error.signin", 403, f"no active account {account!r}")
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
    settings = _settings(request)
    if settings.oidc_client_id is None:
        return _error(
            request, "error.signin", 404, "this deployment has no OIDC client (REGIONET_MATCHING_OIDC_CLIENT_ID)"
        )
    try:
        provider = await oidc.discover(settings)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the provider is told to the person
        return _error(request, "error.signin", 502, f"the sign-in provider could not be reached ({type(exc).__name__})")
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
    settings = _settings(request)
    if error is not None or not code or settings.oidc_client_id is None:
        return _error(request, "error.signin", 400, error or "the sign-in provider sent no code")
    try:
        provider = await oidc.discover(settings)
        tokens = await oidc.finish(settings, provider, request.cookies.get(oidc.FLOW_COOKIE), code, state)
        principal = await authenticate(request.app.state, tokens.access_token)
    except ClientError as exc:
        return _error(request, "error.signin", exc.status, exc.message)
    if principal.sub != tokens.subject:
        return _error(request, "error.signin", 403, "the access token and the ID token name different people")
    response = RedirectResponse("/", status_code=303)
    session.start(response, settings, tokens.access_token, tokens.expires_at)
    response.delete_cookie(oidc.FLOW_COOKIE)
    return response


@router.post("/signout")
async def signout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Sign out (the form's CSRF token must be the session's)."""
    if not session.csrf_ok(session.read(request), csrf):
        return _error(request, "error.csrf", 403)
    response = RedirectResponse("/signin", status_code=303)
    session.end(response)
    return response
