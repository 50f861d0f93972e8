"""What every page of the web UI shares: templates, the reader's language, who is signed in, errors.

A page handler starts with :func:`require`, which gives the signed-in :class:`Viewer` (checked
exactly as an API caller's token is, :func:`shared.auth.authenticate`) or the response to send
instead (off to sign-in, or a page saying the role may not see this). Actions run the same
handler functions and access rules as the API (:func:`act`), inside one unit of work, and a
refusal becomes a sentence on the page, never a stack trace.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from services.matching.web import i18n, session
from shared.auth import Principal, Role, authenticate
from shared.db.uow import UnitOfWork
from shared.errors import ClientError
from shared.settings import ServiceSettings

HERE = Path(__file__).parent
LANGUAGE_COOKIE = "regionet_lang"

templates = Jinja2Templates(directory=str(HERE / "templates"))

T = TypeVar("T")


@dataclass(frozen=True)
class NavItem:
    """A link of the role's navigation bar."""

    path: str
    message_key: str


# Everyone's own notifications (services/matching/web/notifications.py).
FEED_NAV = NavItem("/notifications", "feed.nav")

# The navigation of each role; a page marks its own item with ``aria-current``.
NAVIGATION: dict[Role, tuple[NavItem, ...]] = {
    Role.COACH: (
        NavItem("/coach", "nav.caseload"),
        NavItem("/coach/pipeline", "nav.pipeline"),
        NavItem("/coach/opportunities", "nav.opportunities"),
        NavItem("/coach/searches", "nav.searches"),
        FEED_NAV,
    ),
    Role.EMPLOYER: (
        NavItem("/employer", "nav.employer.opportunities"),
        NavItem("/employer/proposals", "nav.employer.proposals"),
        FEED_NAV,
    ),
    Role.PROGRAMME_OFFICER: (
        NavItem("/officer", "nav.dashboard"),
        NavItem("/officer/plan", "nav.plan"),
        FEED_NAV,
    ),
    Role.ADMIN: (
        NavItem("/coach", "nav.caseload"),
        NavItem("/coach/pipeline", "nav.pipeline"),
        NavItem("/officer", "nav.dashboard"),
        FEED_NAV,
    ),
    Role.PARTICIPANT: (NavItem("/me", "nav.me"), FEED_NAV),
    Role.PROVIDER: (NavItem("/provider", "nav.provider"), FEED_NAV),
}

# Where each role lands after signing in (``/``).
LANDING: dict[Role, str] = {
    Role.COACH: "/coach",
    Role.EMPLOYER: "/employer",
    Role.PROGRAMME_OFFICER: "/officer",
    Role.PARTICIPANT: "/me",
    Role.PROVIDER: "/provider",
}


@dataclass(frozen=True)
class Viewer:
    """The person reading a page: who they are to the API, their language and their form token."""

    principal: Principal
    token: str
    csrf: str
    language: str

    @property
    def role(self) -> Role:
        return self.principal.role


def settings_of(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


def language_of(request: Request, account_language: str | None = None) -> str:
    """The reader's language: picked (``?lang=``, remembered), else the account's, else the browser's."""
    return i18n.choose(
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        account_language,
        i18n.from_accept_language(request.headers.get("accept-language")),
    )


def served_paths() -> set[str]:
    """The paths of the web UI's pages: what navigation may link to and where a role may land.

    Read from the web's routers (not ``app.routes``, where FastAPI keeps an included router as one
    entry without a path).
    """
    from services.matching.web.routes import routers  # imported here: the routers import this module

    paths = (getattr(route, "path", None) for router in routers for route in router.routes)
    return {path for path in paths if isinstance(path, str)}


def asked_page(raw: str | None, last: int) -> int | None:
    """The page of a list asked for (``?page=``; 1 when none), or None when it is not one of 1 to ``last``."""
    if raw is None:
        return 1
    if not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= last:
        return None
    return int(raw)


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    viewer: Viewer | None = None,
    language: str | None = None,
) -> HTMLResponse:
    """Render template ``name`` in the reader's language, with the role's navigation when signed in."""
    lang = language or (viewer.language if viewer else language_of(request))
    served = served_paths()
    navigation = [item for item in NAVIGATION.get(viewer.role, ()) if item.path in served] if viewer else []
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": i18n.translator(lang),
            "lang": lang,
            "languages": i18n.LANGUAGE_NAMES,
            "viewer": viewer,
            "csrf": viewer.csrf if viewer else context.get("csrf", ""),
            "navigation": navigation,
            "here": request.url.path,
            **context,
        },
        status_code=status,
    )
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def error_page(
    request: Request, message_key: str, status: int, detail: str | None = None, *, viewer: Viewer | None = None
) -> HTMLResponse:
    """A page that says in a sentence what went wrong (and, if given, the API's own reason)."""
    return page(request, "error.html", {"message_key": message_key, "detail": detail}, status=status, viewer=viewer)


async def signed_in(request: Request) -> Viewer | None:
    """The person the session names, checked as any API caller is; None without a usable session."""
    current = session.read(request)
    if current is None:
        return None
    try:
        principal = await authenticate(request.app.state, current.token)
    except ClientError:
        return None
    account = await request.app.state.accounts.lookup(principal.sub)
    language = language_of(request, account.language if account else None)
    return Viewer(principal=principal, token=current.token, csrf=current.csrf, language=language)


async def require(request: Request, *roles: Role) -> Viewer | Response:
    """The signed-in viewer when their role may see this page; otherwise the response to send instead."""
    viewer = await signed_in(request)
    if viewer is None:
        return RedirectResponse("/signin", status_code=303)
    if roles and viewer.role not in roles:
        return error_page(request, "error.role", 403, viewer=viewer)
    return viewer


async def posted(request: Request, *roles: Role) -> tuple[Viewer, FormData] | Response:
    """A form sent by a viewer whose role may send it, its CSRF token checked; else the response to send."""
    viewer = await require(request, *roles)
    if not isinstance(viewer, Viewer):
        return viewer
    form = await request.form()
    sent = form.get("csrf")
    if not csrf_ok(viewer, sent if isinstance(sent, str) else None):
        return error_page(request, "error.csrf", 403, viewer=viewer)
    return viewer, form


def csrf_ok(viewer: Viewer, sent: str | None) -> bool:
    """True when a form's CSRF token is the session's."""
    current = session.WebSession(token=viewer.token, csrf=viewer.csrf, expires=time.time() + 1)
    return session.csrf_ok(current, sent)


async def act(request: Request, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run ``work`` in one unit of work, committed when it returns (as an API request is).

    A :class:`ClientError` it raises (refused by the same rules as the API) rolls everything back
    and propagates, for the page to show as a sentence (:func:`refusal`).
    """
    async with request.app.state.runtime.uow() as uow:
        result = await work(uow)
        await uow.commit()
        return result


def refusal(request: Request, viewer: Viewer, error: ClientError) -> HTMLResponse:
    """An action the API's rules refused, as a page with the reason (same status as the API's)."""
    return error_page(request, "error.refused", error.status, error.message, viewer=viewer)
