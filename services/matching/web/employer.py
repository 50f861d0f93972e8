"""The employer's pages: their opportunities (publish, confirm still open, close) and the proposals they received.

Every read and every action is the API's own: the route functions of ``api.opportunities`` and
``api.proposals`` for lists (which narrow an employer to their own), the handlers of
``handlers.opportunities`` and ``handlers.proposals`` for changes, in one unit of work
(:func:`~services.matching.web.common.act`). Someone else's opportunity or proposal is not found,
exactly as through the API. Candidates show as the API's anonymous profile, with the
participant's reference only when they share their profile with this employer.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.matching.api import opportunities as opportunity_api
from services.matching.api import proposals as proposal_api
from services.matching.api.schemas import OpportunityOut
from services.matching.clock import request_time
from services.matching.domain import TRANSITIONS, may_move
from services.matching.handlers import opportunities as opportunity_handlers
from services.matching.handlers import proposals as proposal_handlers
from services.matching.handlers.commands import CreateOpportunity
from services.matching.vocabulary import Language, load
from services.matching.web.common import Viewer, act, error_page, page, posted, refusal, require
from shared.auth import Role
from shared.db.uow import UnitOfWork
from shared.errors import ClientError
from shared.events.contracts.matching import DeclineReason, OpportunityKind

router = APIRouter(include_in_schema=False)

# What ``?done=`` may announce after an action (each a message key ``employer.done.<name>``).
DONE = frozenset({"created", "confirmed", "closed", "interested", "declined"})
LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
STATUSES = tuple(sorted({*TRANSITIONS, *(s for targets in TRANSITIONS.values() for s in targets)}))
SKILL_FIELDS = ("essential_skills", "optional_skills")
# The form's single-valued fields: what CreateOpportunity takes, but the owner (the employer's own) and the lists.
FIELDS = tuple(n for n in CreateOpportunity.model_fields if n not in ("employer_id", "recognised", *SKILL_FIELDS))
LIST_LIMIT = 200


def _language(viewer: Viewer) -> Language:
    return "de" if viewer.language == "de" else "en" if viewer.language == "en" else "nl"


def _id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _vocabulary(language: Language) -> dict[str, Any]:
    """Occupations and skills with their labels in the reader's language, in label order."""
    vocab = load()
    return {
        "occupations": sorted(((o.id, o.labels[language]) for o in vocab.occupations.values()), key=lambda p: p[1]),
        "skills": sorted(((s.id, s.labels[language]) for s in vocab.skills.values()), key=lambda p: p[1]),
    }


def _label(key: str, language: Language) -> str:
    vocab = load()
    return vocab.label(key, language) if key in vocab.skills or key in vocab.occupations else key


@router.get("/employer", response_class=HTMLResponse)
async def opportunities(request: Request) -> Response:
    """The employer's own opportunities, newest first, with what each still needs."""
    viewer = await require(request, Role.EMPLOYER)
    if not isinstance(viewer, Viewer):
        return viewer
    try:
        items = await opportunity_api.list_opportunities(
            request.app.state.runtime, viewer.principal, include_closed=True, limit=LIST_LIMIT, offset=0
        )
    except ClientError as exc:
        return refusal(request, viewer, exc)
    language = _language(viewer)
    return page(
        request,
        "employer/opportunities.html",
        {
            "opportunities": items,
            "occupation_label": {o.occupation: _label(o.occupation, language) for o in items},
            "done": request.query_params.get("done") if request.query_params.get("done") in DONE else None,
        },
        viewer=viewer,
    )


def _form_page(
    request: Request, viewer: Viewer, values: dict[str, Any], errors: list[tuple[str, str]], status: int = 200
) -> HTMLResponse:
    return page(
        request,
        "employer/new.html",
        {
            **_vocabulary(_language(viewer)),
            "kinds": [k.value for k in OpportunityKind],
            "levels": LEVELS,
            "values": values,
            "errors": errors,
        },
        status=status,
        viewer=viewer,
    )


@router.get("/employer/new", response_class=HTMLResponse)
async def new_opportunity(request: Request) -> Response:
    """The form to publish an opportunity."""
    viewer = await require(request, Role.EMPLOYER)
    if not isinstance(viewer, Viewer):
        return viewer
    defaults = {"kind": "vacancy", "country": "NL", "places_total": "1", "essential_skills": [], "optional_skills": []}
    return _form_page(request, viewer, defaults, [])


@router.post("/employer/new", response_class=HTMLResponse)
async def publish(request: Request) -> Response:
    """Publish the opportunity the form describes (as ``POST /opportunities``); the form again with what is wrong."""
    sent = await posted(request, Role.EMPLOYER)
    if isinstance(sent, Response):
        return sent
    viewer, form = sent
    values: dict[str, Any] = {name: _text(form, name) for name in FIELDS}
    values["recognised"] = form.get("recognised") == "yes"
    for name in SKILL_FIELDS:
        values[name] = [v for v in form.getlist(name) if isinstance(v, str)]
    body = {k: v for k, v in values.items() if v not in (None, [])}
    try:
        command = CreateOpportunity.model_validate(body)
    except ValidationError as exc:
        errors = [(str(e["loc"][0]) if e["loc"] else "", str(e["msg"])) for e in exc.errors()]
        return _form_page(request, viewer, values, errors, status=422)
    now = await request_time(request)
    try:
        await act(request, lambda uow: opportunity_handlers.create(uow, command, viewer.principal, now))
    except ClientError as exc:
        return _form_page(request, viewer, values, [("", exc.message)], status=exc.status)
    return RedirectResponse("/employer?done=created", status_code=303)


async def _posted(request: Request, raw_id: str) -> tuple[Viewer, FormData, uuid.UUID] | Response:
    """An employer's form about one opportunity or proposal: who sent it, what, and about which; else the answer."""
    sent = await posted(request, Role.EMPLOYER)
    if isinstance(sent, Response):
        return sent
    viewer, form = sent
    found = _id(raw_id)
    if found is None:
        return error_page(request, "error.not_found", 404, viewer=viewer)
    return viewer, form, found


async def _acted(
    request: Request, viewer: Viewer, work: Callable[[UnitOfWork], Awaitable[object]], then: str
) -> Response:
    """Run ``work`` as the API would; off to ``then`` when done, the API's refusal as a page otherwise."""
    try:
        await act(request, work)
    except ClientError as exc:
        return refusal(request, viewer, exc)
    return RedirectResponse(then, status_code=303)


@router.post("/employer/opportunities/{opportunity_id}/confirm", response_class=HTMLResponse)
async def confirm(request: Request, opportunity_id: str) -> Response:
    """ "Still open?" — yes (as ``POST /opportunities/{id}/confirm``)."""
    posted = await _posted(request, opportunity_id)
    if isinstance(posted, Response):
        return posted
    viewer, _, found = posted
    now = await request_time(request)
    return await _acted(
        request,
        viewer,
        lambda uow: opportunity_handlers.confirm(uow, found, viewer.principal, now),
        "/employer?done=confirmed",
    )


def _already_closed(request: Request, viewer: Viewer, place: OpportunityOut) -> HTMLResponse:
    """The confirm page's answer for a place that is closed already: nothing to do (409)."""
    return page(request, "employer/close.html", {"place": place, "already": True}, status=409, viewer=viewer)


@router.get("/employer/opportunities/{opportunity_id}/close", response_class=HTMLResponse)
async def confirm_close(request: Request, opportunity_id: str) -> Response:
    """Before closing: what closing does to this place and the proposals holding it, with "Yes, close" and "Cancel"."""
    viewer = await require(request, Role.EMPLOYER)
    if not isinstance(viewer, Viewer):
        return viewer
    found = _id(opportunity_id)
    if found is None:
        return error_page(request, "error.not_found", 404, viewer=viewer)
    try:
        place = await opportunity_api.get_opportunity(found, request.app.state.runtime, viewer.principal)
    except ClientError as exc:
        return refusal(request, viewer, exc)
    if place.status == "closed":
        return _already_closed(request, viewer, place)
    return page(request, "employer/close.html", {"place": place, "already": False}, viewer=viewer)


@router.post("/employer/opportunities/{opportunity_id}/close", response_class=HTMLResponse)
async def close(request: Request, opportunity_id: str) -> Response:
    """Close it (as ``POST /opportunities/{id}/close``): proposals holding a place are withdrawn.

    The API answers a second close with the closed place; here it is refused (409) with a sentence,
    so nobody believes they closed what was closed before.
    """
    posted = await _posted(request, opportunity_id)
    if isinstance(posted, Response):
        return posted
    viewer, _, found = posted
    now = await request_time(request)

    async def close_once(uow: UnitOfWork) -> bool:
        if (await opportunity_handlers.managed(uow, found, viewer.principal))["closed_at"] is not None:
            return False
        await opportunity_handlers.close(uow, found, viewer.principal, now)
        return True

    try:
        closed = await act(request, close_once)
        if not closed:
            place = await opportunity_api.get_opportunity(found, request.app.state.runtime, viewer.principal)
            return _already_closed(request, viewer, place)
    except ClientError as exc:
        return refusal(request, viewer, exc)
    return RedirectResponse("/employer?done=closed", status_code=303)


@router.get("/employer/proposals", response_class=HTMLResponse)
async def proposals(request: Request) -> Response:
    """The proposals this employer received, newest first, each with the candidate's profile and the answers left."""
    viewer = await require(request, Role.EMPLOYER)
    if not isinstance(viewer, Viewer):
        return viewer
    wanted = request.query_params.get("status") or None
    if wanted is not None and wanted not in STATUSES:
        return error_page(request, "employer.proposals.bad_status", 400, wanted[:40], viewer=viewer)
    language = _language(viewer)
    runtime = request.app.state.runtime
    try:
        found = await proposal_api.list_proposals(
            runtime,
            viewer.principal,
            language,
            opportunity_id=None,
            participant_id=None,
            status_is=wanted,
            limit=LIST_LIMIT,
            offset=0,
        )
        places = await opportunity_api.list_opportunities(
            runtime, viewer.principal, include_closed=True, limit=LIST_LIMIT, offset=0
        )
    except ClientError as exc:
        return refusal(request, viewer, exc)
    labels = {key for p in found if p.candidate for key in (*p.candidate.skills, *p.candidate.desired_occupations)}
    return page(
        request,
        "employer/proposals.html",
        {
            "proposals": found,
            "titles": {o.id: o.title for o in places},
            "label": {key: _label(key, language) for key in labels},
            "statuses": STATUSES,
            "status": wanted,
            "reasons": [r.value for r in DeclineReason],
            "may_move": may_move,
            "done": request.query_params.get("done") if request.query_params.get("done") in DONE else None,
        },
        viewer=viewer,
    )


@router.post("/employer/proposals/{proposal_id}/interested", response_class=HTMLResponse)
async def interested(request: Request, proposal_id: str) -> Response:
    """Interested in the candidate (as ``POST /proposals/{id}/interested``); the place stays held."""
    posted = await _posted(request, proposal_id)
    if isinstance(posted, Response):
        return posted
    viewer, _, found = posted
    now = await request_time(request)
    hold = proposal_api.settings_of(request.app.state.runtime).hold
    return await _acted(
        request,
        viewer,
        lambda uow: proposal_handlers.interested(uow, found, viewer.principal, now, hold),
        "/employer/proposals?done=interested",
    )


@router.post("/employer/proposals/{proposal_id}/decline", response_class=HTMLResponse)
async def decline(request: Request, proposal_id: str) -> Response:
    """Decline with one of matching's reason codes (as ``POST /proposals/{id}/decline``); a reason is required."""
    posted = await _posted(request, proposal_id)
    if isinstance(posted, Response):
        return posted
    viewer, form, found = posted
    try:
        reason = DeclineReason(_text(form, "reason") or "")
    except ValueError:
        return error_page(request, "employer.decline.reason_required", 422, viewer=viewer)
    now = await request_time(request)
    return await _acted(
        request,
        viewer,
        lambda uow: proposal_handlers.decline(uow, found, reason, viewer.principal, now),
        "/employer/proposals?done=declined",
    )
