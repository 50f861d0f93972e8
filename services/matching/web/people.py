"""The participant's and the provider's pages: ``/me`` (my route) and ``/provider`` (vouchers for its courses).

A participant's trajectory and consents are intake's (``GET /participants/me``, ``GET
/participants/me/consents``), applications, vouchers and their programmes are vouchers' (``GET
/applications``, ``GET /vouchers``, ``GET /programmes/{id}``), a provider's course titles are
intake's (``GET /providers/{id}``, its own). Each is read with the viewer's own token
(:mod:`.upstream`), so a participant gets only their own applications and a provider only the
vouchers for its own courses, exactly as through the API. A service that does not answer becomes
a sentence in its section, and the rest of the page still shows. The proposals made for a
participant are matching's own: the route function of ``GET /proposals/mine`` reads them, so the
page shows what the API gives them; a database that cannot be reached just then is a sentence too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.matching.api import proposals as proposal_api
from services.matching.web import i18n, upstream
from services.matching.web.coach import short
from services.matching.web.common import Viewer, asked_page, error_page, page, require
from shared.auth import Role
from shared.db.availability import DATABASE_UNAVAILABLE
from shared.events.contracts.intake import ConsentPurpose
from shared.events.contracts.vouchers import RejectionReason
from shared.paging import MAX_OFFSET

router = APIRouter(include_in_schema=False)

# A person holds a few applications (programmes limit vouchers per person); this reads them all.
APPLICATIONS_READ = 100
# A person is proposed for a few places; this reads them all (the API's largest page).
PROPOSALS_READ = 200
PAGE_SIZE = 20
# Vouchers' API pages back this far (its ``offset`` bound).
LAST_PAGE = MAX_OFFSET // PAGE_SIZE
# The states of a voucher its provider has claimed, whatever came of the claim.
CLAIMED = frozenset({"redeemed", "claim_rejected", "settled", "clawed_back"})
REASONS = frozenset(r.value for r in RejectionReason)


async def _programmes(request: Request, viewer: Viewer, ids: Iterable[str]) -> dict[str, Any]:
    """The programmes the applications belong to, by id (raises :class:`upstream.Unavailable`)."""
    return {pid: await upstream.get_json(request, viewer, "vouchers", f"/programmes/{pid}") for pid in set(ids)}


def _voucher(found: dict[str, Any], programme: dict[str, Any], language: str) -> dict[str, Any]:
    """One application (or the voucher it became) as the pages show it, with its programme's words and deadline."""
    categories = {c["code"]: c["name"] for c in programme["categories"]}
    redeem_by = datetime.fromisoformat(programme["redeem_by"])
    reason = found["reason"]
    return {
        "id": found["id"],
        "voucher_id": found["voucher_id"],
        "status": found["status"],
        "programme": programme["name"],
        "category": categories.get(found["category"], found["category"]),
        "course_id": found["course_id"],
        "course_ref": short(found["course_id"]),
        "amount": i18n.money(found["amount_cents"], language),
        "paid": i18n.money(found["paid_cents"], language),
        "redeem_by": redeem_by,
        "redeem_by_day": i18n.day(redeem_by, language),
        "submitted_day": i18n.day(datetime.fromisoformat(found["submitted_at"]), language),
        # Vouchers gives a rejection's code (an officer's note only to officers); a code newer than these words
        # reads as "another reason".
        "reason": reason if reason in REASONS else None,
        "claimed": found["status"] in CLAIMED,
    }


async def _vouchers(request: Request, viewer: Viewer, path: str, **params: Any) -> list[dict[str, Any]]:
    """Applications or vouchers from vouchers' ``path`` as the viewer may see them, each with its programme."""
    found = await upstream.get_json(request, viewer, "vouchers", path, **params)
    programmes = await _programmes(request, viewer, (f["programme_id"] for f in found))
    return [_voucher(f, programmes[f["programme_id"]], viewer.language) for f in found]


async def _course_titles(request: Request, viewer: Viewer, ids: Iterable[str]) -> dict[str, str]:
    """The catalogue's title of each course, from vouchers; one it does not know keeps its reference."""
    titles: dict[str, str] = {}
    for course_id in dict.fromkeys(ids):
        with contextlib.suppress(upstream.Unavailable):
            course = await upstream.get_json(request, viewer, "vouchers", f"/courses/{course_id}")
            titles[course_id] = str(course["title"])
    return titles


def _consents(history: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """The consents in force: every purpose, and each employer a profile is shared with, by the latest decision."""
    latest: dict[tuple[str, str | None], dict[str, Any]] = {}
    for decision in history:  # oldest first: a later decision replaces an earlier one
        latest[(decision["purpose"], decision["employer_id"])] = decision
    rows = []
    for purpose in ConsentPurpose:
        decided = sorted(
            (decision for (p, _), decision in latest.items() if p == purpose.value),
            key=lambda d: str(d["employer_id"]),
        )
        if not decided and purpose is not ConsentPurpose.SHARE_WITH_EMPLOYER:
            rows.append({"purpose": purpose.value, "employer": None, "given": False, "day": None})
        for decision in decided:
            employer = decision["employer_id"]
            rows.append(
                {
                    "purpose": purpose.value,
                    "employer": short(employer) if employer else None,
                    "given": decision["given"],
                    "day": i18n.day(datetime.fromisoformat(decision["recorded_at"]), language),
                }
            )
    return rows


async def _proposals(request: Request, viewer: Viewer) -> list[dict[str, Any]]:
    """The proposals made for the participant, newest first, with their days written out in the reader's language."""
    found = await proposal_api.my_proposals(request.app.state.runtime, viewer.principal, limit=PROPOSALS_READ, offset=0)
    return [
        {
            **proposal.model_dump(),
            "start_day": i18n.day(proposal.start_date, viewer.language),
            "proposed_day": i18n.day(proposal.proposed_at, viewer.language),
            "since_day": i18n.day(proposal.status_since, viewer.language),
            "hold_day": i18n.day(proposal.hold_until, viewer.language) if proposal.hold_until else None,
        }
        for proposal in found
    ]


@router.get("/me", response_class=HTMLResponse)
async def my_route(request: Request) -> Response:
    """A participant's route: their trajectory, the places they were proposed for, applications and vouchers,
    consents."""
    viewer = await require(request, Role.PARTICIPANT)
    if not isinstance(viewer, Viewer):
        return viewer
    context: dict[str, Any] = {"vouchers": [], "consents": [], "trajectory": None, "titles": {}, "proposals": []}
    try:
        context["proposals"] = await _proposals(request, viewer)
    except DATABASE_UNAVAILABLE:
        context["proposals_unavailable"] = True
    try:
        vouchers = await _vouchers(request, viewer, "/applications", limit=APPLICATIONS_READ, order="newest")
        context["vouchers"] = vouchers
        context["titles"] = await _course_titles(request, viewer, (v["course_id"] for v in vouchers))
    except upstream.Unavailable:
        context["vouchers_unavailable"] = True
    try:
        myself = await upstream.get_json(request, viewer, "intake", "/participants/me")
        history = await upstream.get_json(request, viewer, "intake", "/participants/me/consents")
        context["trajectory"] = myself["status"]
        context["consents"] = _consents(history, viewer.language)
    except upstream.Unavailable:
        context["intake_unavailable"] = True
    return page(request, "people/me.html", context, viewer=viewer)


@router.get("/provider", response_class=HTMLResponse)
async def provider_vouchers(request: Request) -> Response:
    """The vouchers issued for the provider's own courses, newest first, a page at a time: status, amount, deadline,
    claim, pay."""
    viewer = await require(request, Role.PROVIDER)
    if not isinstance(viewer, Viewer):
        return viewer
    number = asked_page(request.query_params.get("page"), LAST_PAGE)
    if number is None:
        return error_page(request, "provider.bad_page", 400, viewer=viewer)
    context: dict[str, Any] = {"number": number, "vouchers": [], "titles": {}}
    try:
        found = await _vouchers(
            request, viewer, "/vouchers", limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE, order="newest"
        )
        context["vouchers"] = found[:PAGE_SIZE]
        context["previous"] = number - 1 if number > 1 else None
        context["next"] = number + 1 if len(found) > PAGE_SIZE and number < LAST_PAGE else None
    except upstream.Unavailable:
        context["vouchers_unavailable"] = True
    if context["vouchers"]:
        try:
            provider = await upstream.get_json(request, viewer, "intake", f"/providers/{viewer.principal.party}")
            context["titles"] = {c["id"]: c["title"] for c in provider["courses"]}
        except upstream.Unavailable:
            context["intake_unavailable"] = True
    return page(request, "people/provider.html", context, viewer=viewer)
