"""The web UI reading the other services' APIs as the signed-in person (their own token).

Names live only in intake, budgets only in vouchers and live updates come from notifications;
a page asks them over HTTP with the viewer's bearer token, so it gets exactly what that person
may get through the API and nothing more. A service that does not answer becomes a sentence on
the page (:class:`Unavailable`), not an error page.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request

from services.matching.web.common import Viewer, settings_of

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
CLIENT = "matching.web.upstream"


class Unavailable(Exception):
    """The other service did not answer usefully; ``service`` names it."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


def client(request: Request) -> httpx.AsyncClient:
    """The process's one client for the other services (connections are kept and reused; closed at stop)."""
    runtime = request.app.state.runtime
    found: httpx.AsyncClient | None = runtime.extensions.get(CLIENT)
    if found is None or found.is_closed:
        found = httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False)
        runtime.extensions[CLIENT] = found
        runtime.closing.append(found.aclose)
    return found


def _as(viewer: Viewer) -> dict[str, str]:
    """The headers that make a request the viewer's own."""
    return {"authorization": f"Bearer {viewer.token}", "accept-language": viewer.language}


async def get_json(request: Request, viewer: Viewer, service: str, path: str, **params: Any) -> Any:
    """``GET`` ``path`` of ``service`` as the viewer; the JSON answer, or :class:`Unavailable`."""
    url = f"{settings_of(request).service_url(service)}{path}"
    try:
        response = await client(request).get(
            url, params={k: v for k, v in params.items() if v is not None}, headers=_as(viewer)
        )
    except httpx.HTTPError as exc:
        raise Unavailable(service, type(exc).__name__) from exc
    if response.status_code != 200:
        raise Unavailable(service, f"HTTP {response.status_code}")
    return response.json()


async def post(request: Request, viewer: Viewer, service: str, path: str) -> int:
    """``POST`` ``path`` of ``service`` as the viewer; the answer's status (a 4xx is the API's refusal).

    :class:`Unavailable` when the service does not answer or fails (5xx).
    """
    url = f"{settings_of(request).service_url(service)}{path}"
    try:
        response = await client(request).post(url, headers=_as(viewer))
    except httpx.HTTPError as exc:
        raise Unavailable(service, type(exc).__name__) from exc
    if response.status_code >= 500:
        raise Unavailable(service, f"HTTP {response.status_code}")
    return response.status_code
