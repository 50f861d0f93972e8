"""The coach's pages: caseload beside the selected candidate, the pipeline, places, saved searches, live alerts.

Every read and every action goes through the API's own functions and access rules: suggestions
are the API's (:mod:`services.matching.api.suggestions`), a proposal is made by the same handler
as ``POST /proposals`` inside :func:`act`, a saved search by the one behind ``POST
/saved-searches``. Names come from intake with the coach's own token (matching holds none); when
intake does not answer, a page shows short ids instead and says so. Live alerts are the
notifications service's stream of the coach's own feed, relayed by ``/coach/live``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError

from services.matching.access import caseload_of, reachable_candidate, reachable_opportunity, reachable_proposal
from services.matching.api import suggestions as suggestions_api
from services.matching.api.schemas import opportunity_out
from services.matching.clock import request_time
from services.matching.db import candidates as candidate_store
from services.matching.db import caseload as caseload_store
from services.matching.db import opportunities as opportunity_store
from services.matching.db import saved_searches as search_store
from services.matching.db import timeline as timeline_store
from services.matching.handlers import proposals as proposal_handlers
from services.matching.handlers import saved_searches as search_handlers
from services.matching.handlers.commands import SaveSearch
from services.matching.settings import MatchingSettings
from services.matching.vocabulary import LANGUAGES, Language
from services.matching.web import upstream
from services.matching.web.common import Viewer, act, error_page, page, posted, refusal, require, settings_of
from shared.auth import Role
from shared.errors import ClientError
from shared.service import Runtime

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
PIPELINE_LIMIT = 200
# The most names one page asks intake for (intake's own limit per request).
NAMED = 200
# The pipeline's columns, left to right; every other state is "closed".
COLUMNS = ("proposed", "interested", "interview", "placed", "retained")
KINDS = ("vacancy", "bbl", "internship", "hybrid_teacher")
STREAM_TIMEOUT = httpx.Timeout(5.0, read=None)
# Told to a browser whose live stream could not be opened: try again after this many milliseconds.
RETRY_MS = 10_000


def parse_id(value: str | None) -> uuid.UUID | None:
    """A UUID from a path or form, or None when it is not one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def coach_and_id(request: Request, raw: str) -> tuple[Viewer, uuid.UUID] | Response:
    """A coach's (or an administrator's) page about one thing: the viewer and its id, or the page
    to answer instead (sign in, not for this role, or 404 for something that is not an id)."""
    viewer = await require(request, Role.COACH, Role.ADMIN)
    if not isinstance(viewer, Viewer):
        return viewer
    found = parse_id(raw)
    if found is None:
        return error_page(request, "error.not_found", 404, viewer=viewer)
    return viewer, found


def short(value: Any) -> str:
    """The first block of an id: enough to tell people apart on a page without a name."""
    return str(value).split("-")[0]


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def caseload_owner(viewer: Viewer) -> str | None:
    """Whose caseload the viewer sees: a coach their own, an administrator everyone's (None)."""
    return caseload_of(viewer.principal) if viewer.role is Role.COACH else None


def next_action(row: Any) -> str:
    """What the coach should do next for a candidate, as a message key."""
    if row["trajectory_status"] in ("placed", "ended"):
        return "coach.next.none"
    if not row["matching_consent"]:
        return "coach.next.consent"
    statuses = set(row["open_statuses"] or ())
    for status, action in (
        ("interview", "coach.next.place"),
        ("interested", "coach.next.interview"),
        ("proposed", "coach.next.wait"),
        ("placed", "coach.next.retention"),
        ("retained", "coach.next.retention"),
    ):
        if status in statuses:
            return action
    return "coach.next.propose"


async def names_of(request: Request, viewer: Viewer, ids: Iterable[object]) -> tuple[dict[str, str], bool]:
    """The names of these participants of the viewer's caseload, from intake, and whether intake answered.

    Intake is asked for exactly the people a page shows (at most :data:`NAMED` of them), so a
    caseload of any size has its names on every page.
    """
    wanted = list(dict.fromkeys(str(i) for i in ids))[:NAMED]
    if not wanted:
        return {}, True
    try:
        found = await upstream.get_json(
            request, viewer, "intake", "/participants", coach_id=caseload_owner(viewer), id=wanted, limit=NAMED
        )
    except upstream.Unavailable:
        return {}, False
    return {str(item["id"]): str(item["name"]) for item in found.get("items", [])}, True


async def name_of(request: Request, viewer: Viewer, participant_id: uuid.UUID) -> str | None:
    """One participant's name from intake, or None when intake does not answer."""
    try:
        found = await upstream.get_json(request, viewer, "intake", f"/participants/{participant_id}")
    except upstream.Unavailable:
        return None
    return str(found["name"])


def page_number(request: Request) -> int:
    """The ``?page=`` asked for (1 when missing or not a small positive number)."""
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 10_000 else 1


def language(viewer: Viewer) -> Language:
    """The viewer's language as the engine's explanations take it."""
    return next((known for known in LANGUAGES if known == viewer.language), "nl")


def days_since(now: datetime, then: datetime | None) -> int | None:
    return None if then is None else max(0, (now - then).days)


async def caseload_view(request: Request, viewer: Viewer, now: datetime) -> dict[str, Any]:
    """The caseload list with each person's status, next action and days since the last step."""
    number = page_number(request)
    owner = caseload_owner(viewer)
    async with runtime_of(request).pool.acquire() as conn:
        rows = await caseload_store.caseload(conn, owner, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
        total = await caseload_store.count(conn, owner)
    names, named = await names_of(request, viewer, (r["participant_id"] for r in rows))
    people = [
        {
            "id": str(r["participant_id"]),
            "name": names.get(str(r["participant_id"])),
            "short": short(r["participant_id"]),
            "trajectory": r["trajectory_status"],
            "consent": r["matching_consent"],
            "next": next_action(r),
            "days": days_since(now, r["last_action"]),
        }
        for r in rows
    ]
    return {
        "people": people,
        "names": names,
        "short": short,
        "named": named,
        "total": total,
        "page_number": number,
        "has_next": number * PAGE_SIZE < total,
    }


@router.get("/coach", response_class=HTMLResponse)
async def caseload(request: Request) -> Response:
    """The caseload: who, in what state, what comes next and how long since the last step."""
    viewer = await require(request, Role.COACH, Role.ADMIN)
    if not isinstance(viewer, Viewer):
        return viewer
    now = await request_time(request)
    context = {**await caseload_view(request, viewer, now), "selected": None}
    return page(request, "coach/caseload.html", context, viewer=viewer)


@router.get("/coach/candidates/{participant_id}", response_class=HTMLResponse)
async def candidate(request: Request, participant_id: str) -> Response:
    """The caseload beside one candidate: profile, timeline, proposals, suggestions with reasons and near misses."""
    asked = await coach_and_id(request, participant_id)
    if isinstance(asked, Response):
        return asked
    viewer, pid = asked
    runtime = runtime_of(request)
    now = await request_time(request)
    try:
        async with runtime.pool.acquire() as conn:
            row = reachable_candidate(viewer.principal, await candidate_store.get(conn, pid))
            proposals = await caseload_store.of_candidate(conn, pid)
            events = await timeline_store.of_participant(conn, pid)
        found = await suggestions_api.for_candidate(pid, runtime, viewer.principal, language(viewer), now, limit=10)
    except ClientError as error:
        return refusal(request, viewer, error)
    vocab = runtime.extensions["engine"].vocab
    selected = {
        "row": row,
        "name": await name_of(request, viewer, pid),
        "short": short(pid),
        "skills": [vocab.label(s, language(viewer)) for s in row["skills"] if s in vocab.skills],
        "wishes": [vocab.label(o, language(viewer)) for o in row["desired_occupations"] if o in vocab.occupations],
        "proposals": proposals,
        "events": events,
        "suggestions": found.suggestions,
        "near_misses": found.near_misses,
        "occupation": lambda key: vocab.label(key, language(viewer)),
    }
    context = {**await caseload_view(request, viewer, now), "selected": selected}
    return page(request, "coach/caseload.html", context, viewer=viewer)


@router.post("/coach/proposals", response_class=HTMLResponse)
async def propose(request: Request) -> Response:
    """Propose a candidate for a place in one action: the same handler and rules as ``POST /proposals``."""
    sent = await posted(request, Role.COACH, Role.ADMIN)
    if isinstance(sent, Response):
        return sent
    viewer, form = sent
    pid, oid = parse_id(str(form.get("participant_id"))), parse_id(str(form.get("opportunity_id")))
    if pid is None or oid is None:
        return error_page(request, "error.not_found", 404, viewer=viewer)
    now = await request_time(request)
    settings: MatchingSettings = runtime_of(request).extensions["settings"]
    try:
        await act(request, lambda uow: proposal_handlers.propose(uow, pid, oid, viewer.principal, now, settings.hold))
    except ClientError as error:
        return refusal(request, viewer, error)
    back = f"/coach/opportunities/{oid}" if form.get("back") == "opportunity" else f"/coach/candidates/{pid}"
    return RedirectResponse(f"{back}#proposals", status_code=303)


@router.get("/coach/proposals/{proposal_id}/card", response_class=HTMLResponse)
async def proposal_card(request: Request, proposal_id: str) -> Response:
    """One proposal as a card: what the live alerts put in place of the old one."""
    asked = await coach_and_id(request, proposal_id)
    if isinstance(asked, Response):
        return asked
    viewer, found = asked
    try:
        async with runtime_of(request).pool.acquire() as conn:
            row = reachable_proposal(viewer.principal, await caseload_store.proposal_card(conn, found))
    except ClientError as error:
        return refusal(request, viewer, error)
    names, _ = await names_of(request, viewer, [row["participant_id"]])
    return page(request, "coach/proposal_card.html", {"proposal": row, "names": names, "short": short}, viewer=viewer)


@router.get("/coach/pipeline", response_class=HTMLResponse)
async def pipeline(request: Request) -> Response:
    """The coach's proposals by state: one column per open state, and what closed in the last 30 days."""
    viewer = await require(request, Role.COACH, Role.ADMIN)
    if not isinstance(viewer, Viewer):
        return viewer
    async with runtime_of(request).pool.acquire() as conn:
        rows = await caseload_store.pipeline(conn, caseload_owner(viewer), PIPELINE_LIMIT)
    columns: dict[str, list[Any]] = {state: [] for state in (*COLUMNS, "closed")}
    for row in rows:
        columns[row["status"] if row["status"] in COLUMNS else "closed"].append(row)
    names, named = await names_of(request, viewer, (r["participant_id"] for r in rows))
    context = {"columns": columns, "names": names, "named": named, "short": short}
    return page(request, "coach/pipeline.html", context, viewer=viewer)


@router.get("/coach/opportunities", response_class=HTMLResponse)
async def opportunities(request: Request) -> Response:
    """Open places, newest first, with their capacity."""
    viewer = await require(request, Role.COACH, Role.ADMIN)
    if not isinstance(viewer, Viewer):
        return viewer
    number = page_number(request)
    runtime = runtime_of(request)
    async with runtime.pool.acquire() as conn:
        rows = await opportunity_store.list_opportunities(
            conn, employer_id=None, include_closed=False, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE
        )
    vocab = runtime.extensions["engine"].vocab
    context = {
        "places": [opportunity_out(r) for r in rows[:PAGE_SIZE]],
        "has_next": len(rows) > PAGE_SIZE,
        "page_number": number,
        "occupation": lambda key: vocab.label(key, language(viewer)),
    }
    return page(request, "coach/opportunities.html", context, viewer=viewer)


@router.get("/coach/opportunities/{opportunity_id}", response_class=HTMLResponse)
async def opportunity(request: Request, opportunity_id: str) -> Response:
    """One place: its capacity and details, and the coach's candidates ranked for it, with reasons."""
    asked = await coach_and_id(request, opportunity_id)
    if isinstance(asked, Response):
        return asked
    viewer, oid = asked
    runtime = runtime_of(request)
    now = await request_time(request)
    try:
        async with runtime.pool.acquire() as conn:
            row = reachable_opportunity(viewer.principal, await opportunity_store.get(conn, oid))
        found = await suggestions_api.for_opportunity(oid, runtime, viewer.principal, language(viewer), now, limit=20)
    except ClientError as error:
        return refusal(request, viewer, error)
    shown = [s.candidate.participant_id for s in found.suggestions]
    names, named = await names_of(request, viewer, shown + [m.candidate.participant_id for m in found.near_misses])
    vocab = runtime.extensions["engine"].vocab
    context = {
        "place": opportunity_out(row),
        "suggestions": found.suggestions,
        "near_misses": found.near_misses,
        "names": names,
        "named": named,
        "short": short,
        "occupation": lambda key: vocab.label(key, language(viewer)),
        "skills": [vocab.label(key, language(viewer)) for key in row["essential_skills"] if key in vocab.skills],
    }
    return page(request, "coach/opportunity.html", context, viewer=viewer)


async def searches_view(request: Request, viewer: Viewer) -> dict[str, Any]:
    runtime = runtime_of(request)
    async with runtime.pool.acquire() as conn:
        rows = await search_store.of_owner(conn, viewer.principal.sub)
        found = {r["id"]: await search_store.hits(conn, r["id"], limit=5) for r in rows}
        people = await candidate_store.list_candidates(conn, coach_id=caseload_owner(viewer), limit=200, offset=0)
    searched_for = [r["participant_id"] for r in rows if r["participant_id"]]
    names, named = await names_of(request, viewer, searched_for + [p["participant_id"] for p in people])
    vocab = runtime.extensions["engine"].vocab
    return {
        "searches": rows,
        "found": found,
        "people": [(str(p["participant_id"]), names.get(str(p["participant_id"]))) for p in people],
        "names": names,
        "named": named,
        "short": short,
        "kinds": KINDS,
        "occupations": sorted(
            ((key, vocab.label(key, language(viewer))) for key in vocab.occupations), key=lambda pair: pair[1]
        ),
        "occupation": lambda key: vocab.label(key, language(viewer)),
    }


@router.get("/coach/searches", response_class=HTMLResponse)
async def searches(request: Request) -> Response:
    """The coach's saved searches, what each found, and a form to save another."""
    viewer = await require(request, Role.COACH)
    if not isinstance(viewer, Viewer):
        return viewer
    return page(request, "coach/searches.html", await searches_view(request, viewer), viewer=viewer)


@router.post("/coach/searches", response_class=HTMLResponse)
async def save_search(request: Request) -> Response:
    """Save a search: the same handler and checks as ``POST /saved-searches``."""
    sent = await posted(request, Role.COACH)
    if isinstance(sent, Response):
        return sent
    viewer, form = sent
    fields = {
        name: str(form.get(name)).strip()
        for name in ("participant_id", "occupation", "kind", "postcode", "radius_km")
        if str(form.get(name) or "").strip()
    }
    try:
        body = SaveSearch.model_validate(fields)
    except ValidationError as invalid:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in invalid.errors())
        return error_page(request, "error.refused", 422, problems, viewer=viewer)
    now = await request_time(request)
    try:
        await act(request, lambda uow: search_handlers.save(uow, body, viewer.principal, now))
    except ClientError as error:
        return refusal(request, viewer, error)
    return RedirectResponse("/coach/searches", status_code=303)


@router.post("/coach/searches/{search_id}/delete", response_class=HTMLResponse)
async def delete_search(request: Request, search_id: str) -> Response:
    """Remove one of the coach's saved searches."""
    sent = await posted(request, Role.COACH)
    if isinstance(sent, Response):
        return sent
    viewer, _ = sent
    sid = parse_id(search_id)
    if sid is None:
        return error_page(request, "error.not_found", 404, viewer=viewer)
    try:
        await act(request, lambda uow: search_handlers.remove(uow, sid, viewer.principal))
    except ClientError as error:
        return refusal(request, viewer, error)
    return RedirectResponse("/coach/searches", status_code=303)


def _retry_later() -> StreamingResponse:
    """A stream that only tells the browser when to try again (an EventSource gives up on an error status)."""

    async def once() -> AsyncIterator[str]:
        yield f"retry: {RETRY_MS}\n\n"

    return StreamingResponse(once(), media_type="text/event-stream", headers={"cache-control": "no-store"})


@router.get("/coach/live")
async def live(request: Request) -> Response:
    """The coach's own notifications as server-sent events: the notifications service's stream, relayed."""
    viewer = await require(request, Role.COACH, Role.ADMIN)
    if not isinstance(viewer, Viewer):
        return viewer
    headers = {"authorization": f"Bearer {viewer.token}", "accept": "text/event-stream"}
    last = request.headers.get("last-event-id")
    if last is not None:
        headers["last-event-id"] = last
    client = upstream.client(request)
    url = f"{settings_of(request).service_url('notifications')}/notifications/stream"
    try:
        request_out = client.build_request("GET", url, headers=headers, timeout=STREAM_TIMEOUT)
        answer = await client.send(request_out, stream=True)
    except httpx.HTTPError:
        return _retry_later()
    if answer.status_code != 200:
        await answer.aclose()
        return _retry_later()
    stop = runtime_of(request).stop

    chunks = answer.aiter_raw().__aiter__()

    async def next_chunk() -> bytes | None:
        try:
            return await chunks.__anext__()
        except (StopAsyncIteration, httpx.HTTPError):  # ended or cut: the browser reconnects
            return None

    async def relay() -> AsyncIterator[bytes]:
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while True:
                chunk = asyncio.ensure_future(next_chunk())
                await asyncio.wait({chunk, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not chunk.done():  # the service is stopping
                    chunk.cancel()
                    return
                data = chunk.result()
                if data is None:  # notifications ended the stream; the browser reconnects
                    return
                yield data
        finally:
            stopping.cancel()
            with contextlib.suppress(httpx.HTTPError):
                await answer.aclose()

    return StreamingResponse(
        relay(), media_type="text/event-stream", headers={"cache-control": "no-store", "x-accel-buffering": "no"}
    )
