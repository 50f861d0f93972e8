"""Everyone's notifications page: the signed-in person's own feed, read from the notifications service.

Every role has it. The feed is read with the viewer's own token (``GET /notifications`` through
:mod:`.upstream`), so a person sees exactly their own entries in the role they signed in with, and
"mark as read" is the API's ``POST /notifications/{id}/read`` with that token. Each entry is the
sentence notifications wrote in the person's language, with a link to the page it concerns when the
web UI serves that page (entries written before links pointed at web pages have none, nor those
that point here). When notifications does not answer, the page says so in a sentence.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from services.matching.web import upstream
from services.matching.web.common import Viewer, asked_page, error_page, page, posted, require
from services.matching.web.i18n import TIMEZONE

router = APIRouter(include_in_schema=False)

# This page: an entry that links to it (a disabled webhook, or a proposal made for a participant
# before /me showed proposals) gets no link to itself.
FEED = "/notifications"

PAGE_SIZE = 20
# The notifications API pages back this far (its ``offset`` bound).
LAST_PAGE = 10_000 // PAGE_SIZE


def leads_somewhere(path: str) -> bool:
    """True when ``path`` is a page of the web UI (some router's ``GET`` pattern matches it)."""
    from services.matching.web.routes import routers  # imported here: the routers import this module

    return any(
        isinstance(route, APIRoute) and "GET" in (route.methods or ()) and route.path_regex.fullmatch(path)
        for router in routers
        for route in router.routes
    )


def _entry(found: dict[str, Any]) -> dict[str, Any]:
    """One feed entry as the page shows it."""
    link = found.get("link")
    created = datetime.fromisoformat(found["created_at"]).astimezone(TIMEZONE)
    return {
        "id": found["id"],
        "message": found["message"],
        "link": link if isinstance(link, str) and link != FEED and leads_somewhere(link) else None,
        "unread": found.get("read_at") is None,
        "at": created,
    }


def _feed(request: Request, viewer: Viewer, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    return page(request, "notifications/feed.html", context, status=status, viewer=viewer)


@router.get(FEED, response_class=HTMLResponse)
async def feed(request: Request) -> Response:
    """The viewer's notifications, newest first, a page at a time; unread ones marked."""
    viewer = await require(request)
    if not isinstance(viewer, Viewer):
        return viewer
    number = asked_page(request.query_params.get("page"), LAST_PAGE)
    if number is None:
        return error_page(request, "feed.bad_page", 400, viewer=viewer)
    try:
        found = await upstream.get_json(
            request, viewer, "notifications", "/notifications", limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE
        )
    except upstream.Unavailable:
        return _feed(request, viewer, {"unavailable": True, "number": number})
    entries = [_entry(f) for f in found[:PAGE_SIZE]]
    return _feed(
        request,
        viewer,
        {
            "entries": entries,
            "number": number,
            "newer": number - 1 if number > 1 else None,
            "older": number + 1 if len(found) > PAGE_SIZE and number < LAST_PAGE else None,
            "done": request.query_params.get("done") == "read",
        },
    )


@router.post("/notifications/{notification_id}/read", response_class=HTMLResponse)
async def mark_read(request: Request, notification_id: str) -> Response:
    """Mark one of the viewer's notifications read (as ``POST /notifications/{id}/read``), back to its page."""
    sent = await posted(request)
    if isinstance(sent, Response):
        return sent
    viewer, form = sent
    raw_page = form.get("page")
    number = asked_page(raw_page if isinstance(raw_page, str) else None, LAST_PAGE) or 1
    try:
        found = uuid.UUID(notification_id)
    except ValueError:
        return error_page(request, "feed.not_found", 404, viewer=viewer)
    try:
        status = await upstream.post(request, viewer, "notifications", f"/notifications/{found}/read")
    except upstream.Unavailable:
        return _feed(request, viewer, {"unavailable": True, "number": number}, status=503)
    if status != 204:
        return error_page(request, "feed.not_found", 404, viewer=viewer)
    return RedirectResponse(f"/notifications?page={number}&done=read#entry-{found}", status_code=303)
