"""The programme officer's pages: the dashboard (inflow per target group, voucher budgets) and the plan with fairness.

The figures are the API's own: ``GET /inflow``, ``GET /fairness`` and ``POST /plans`` of matching
(their route functions, with the same aggregates and the same hiding of small cells), and
vouchers' ``GET /programmes`` and ``GET /programmes/{id}/budget`` read with the officer's own
token. When vouchers does not answer, the dashboard says so in a sentence and shows the rest.
Each chart is inline SVG with its numbers in a table beside it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.matching.api import inflow as inflow_api
from services.matching.api import opportunities as opportunity_api
from services.matching.api import reports as reports_api
from services.matching.api.schemas import OpportunityOut
from services.matching.clock import request_time
from services.matching.db import opportunities as opportunity_store
from services.matching.fairness import METRICS
from services.matching.handlers.commands import PlanRequest, RegionQuota, Reserve
from services.matching.vocabulary import Language
from services.matching.web import charts, upstream
from services.matching.web.common import Viewer, error_page, page, posted, refusal, require
from services.matching.web.i18n import translator
from shared.auth import Role
from shared.errors import ClientError, NotFound
from shared.events.contracts.intake import TargetGroup

router = APIRouter(include_in_schema=False)

OFFICERS = (Role.PROGRAMME_OFFICER, Role.ADMIN)
INFLOW_WEEKS = 12
PROGRAMMES_SHOWN = 5
ASSIGNMENTS_SHOWN = 50
MAX_QUOTA = 1_000_000  # as RegionQuota.places
MAX_RESERVED = 1000  # as Reserve.places
WHOLE = re.compile(r"[0-9]{1,7}")
# A percentage as people type it: 25, 12.5, 12,5 or 12,5 % (at most two decimals).
PERCENT = re.compile(r"([0-9]{1,3})(?:[.,]([0-9]{1,2}))?\s*%?")
# What ``?policy=`` may announce after a change: the quotas, or the reserved places.
SAVED = frozenset({"saved", "reserved"})


def _language(viewer: Viewer) -> Language:
    return "de" if viewer.language == "de" else "en" if viewer.language == "en" else "nl"


def euros(language: str) -> Callable[[int], str]:
    """Whole euros from cents, grouped as the reader writes numbers (12.345 in nl/de, 12,345 in en)."""

    def written(cents: int) -> str:
        grouped = f"{round(cents / 100):,}"
        return f"€ {grouped if language == 'en' else grouped.replace(',', '.')}"

    return written


def _inflow_charts(report: inflow_api.InflowOut) -> list[dict[str, Any]]:
    """A bar chart per series: everyone on its own scale, the target groups on one shared scale."""
    groups_top = charts.nice_top(max((n or 0 for s in report.series if s.target_group for n in s.people), default=0))
    shown = []
    for series in report.series:
        points = [(monday.isoformat(), n) for monday, n in zip(report.weeks, series.people, strict=True)]
        top = None if series.target_group is None else groups_top
        shown.append({"group": series.target_group or "all", "chart": charts.bar_chart(points, top=top)})
    return shown


def _bucket(opens_at: dt.datetime, now: dt.datetime) -> str:
    """Buckets that give a young programme several points: minutes on its first day, hours in its first fortnight."""
    age = now - opens_at
    return "minute" if age < dt.timedelta(days=1) else "hour" if age < dt.timedelta(days=14) else "day"


async def _budgets(request: Request, viewer: Viewer, now: dt.datetime) -> list[dict[str, Any]]:
    """The newest programmes with a burn-down chart per category (raises :class:`upstream.Unavailable`)."""
    programmes = await upstream.get_json(request, viewer, "vouchers", "/programmes")
    programmes = sorted(programmes, key=lambda p: p["opens_at"], reverse=True)[:PROGRAMMES_SHOWN]
    shown = []
    for programme in programmes:
        opens_at = dt.datetime.fromisoformat(programme["opens_at"])
        bucket = _bucket(opens_at, now)
        burn = await upstream.get_json(
            request, viewer, "vouchers", f"/programmes/{programme['id']}/budget", bucket=bucket
        )
        categories = []
        for category in burn["categories"]:
            series = burn["series"].get(category["code"], [])
            points = [(dt.datetime.fromisoformat(p["at"]), p["available_cents"] / 100) for p in series]
            if points and points[0][0] > opens_at:
                # Nobody can apply before the window opens: then the whole budget was still there.
                points.insert(0, (opens_at, series[0]["budget_cents"] / 100))
            top = max([category["budget_cents"], *(p["budget_cents"] for p in series)]) / 100
            categories.append(
                {"category": category, "series": series, "chart": charts.line_chart(points, top=top, unit="{:,.0f}")}
            )
        shown.append({"programme": programme, "bucket": bucket, "categories": categories})
    return shown


@router.get("/officer", response_class=HTMLResponse)
async def dashboard(request: Request) -> Response:
    """Inflow per target group per week, and the voucher budgets' burn-down per category."""
    viewer = await require(request, *OFFICERS)
    if not isinstance(viewer, Viewer):
        return viewer
    now = await request_time(request)
    try:
        inflow = await inflow_api.inflow(request.app.state.runtime, viewer.principal, now, weeks=INFLOW_WEEKS)
    except ClientError as exc:
        return refusal(request, viewer, exc)
    budgets: list[dict[str, Any]] = []
    unavailable = False
    try:
        budgets = await _budgets(request, viewer, now)
    except upstream.Unavailable:
        unavailable = True
    return page(
        request,
        "officer/dashboard.html",
        {
            "inflow": inflow,
            "inflow_charts": _inflow_charts(inflow),
            "budgets": budgets,
            "vouchers_unavailable": unavailable,
            "euros": euros(viewer.language),
        },
        viewer=viewer,
    )


@dataclass(frozen=True)
class PolicyForm:
    """What an officer typed into one of the policy's forms, and what is wrong with it (nothing: it was saved).

    ``errors`` maps a field (a target group for the quotas; ``opportunity``, ``group`` or ``places`` for a
    reservation) to a message key and the values it names.
    """

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, tuple[str, dict[str, int]]] = field(default_factory=dict)


def _percent_text(share: float, language: str) -> str:
    """A share (0-1) as the officer writes a percentage: 12.5 in English, 12,5 in Dutch and German."""
    written = f"{round(share * 100, 2):g}"
    return written if language == "en" else written.replace(".", ",")


async def _plan_page(
    request: Request,
    viewer: Viewer,
    plan: reports_api.PlanOut | None,
    *,
    saved: str | None = None,
    quotas: PolicyForm | None = None,
    reserve: PolicyForm | None = None,
) -> Response:
    runtime = request.app.state.runtime
    now = await request_time(request)
    try:
        policy = await reports_api.get_policy(runtime, viewer.principal)
        fairness = await reports_api.fairness(runtime, viewer.principal, now)
    except ClientError as exc:
        return refusal(request, viewer, exc)
    assignments = plan.assigned[:ASSIGNMENTS_SHOWN] if plan else []
    named = list({a.opportunity_id for a in assignments} | {r.opportunity_id for r in policy.reserved})
    async with runtime.pool.acquire() as conn:
        titles = {i: r["title"] for i, r in (await opportunity_store.briefs(conn, named)).items()}
        open_places = await opportunity_store.open_places(conn)
    # Every open place is an option: labelled here, in one pass, because a region has thousands.
    label = translator(viewer.language)["officer.reserved.option"]
    chosen = reserve.values.get("opportunity") if reserve else None
    options = [
        (str(o["id"]), label.format(title=o["title"], postcode=o["postcode"], total=o["places_total"]))
        for o in open_places
    ]
    if quotas is None:
        quotas = PolicyForm(
            values={
                **{f"quota-{q.target_group.value}": str(q.places) for q in policy.quotas if q.places is not None},
                **{
                    f"share-{q.target_group.value}": _percent_text(q.share, viewer.language)
                    for q in policy.quotas
                    if q.share is not None
                },
            }
        )
    return page(
        request,
        "officer/plan.html",
        {
            "fairness": fairness,
            "metrics": METRICS,
            "plan": plan,
            "assignments": assignments,
            "titles": titles,
            "groups": [g.value for g in TargetGroup],
            "policy": policy,
            "options": options,
            "chosen": chosen,
            "saved": saved,
            "quotas": quotas,
            "reserve": reserve or PolicyForm(),
        },
        viewer=viewer,
        status=422 if quotas.errors or (reserve and reserve.errors) else 200,
    )


@router.get("/officer/plan", response_class=HTMLResponse)
async def plan_and_fairness(request: Request) -> Response:
    """The latest kept (nightly) plan, the fairness report per target group (flags below 0.8, small cells
    hidden) and the button to plan now."""
    viewer = await require(request, *OFFICERS)
    if not isinstance(viewer, Viewer):
        return viewer
    saved = request.query_params.get("policy")
    return await _plan_page(request, viewer, await _latest(request, viewer), saved=saved if saved in SAVED else None)


async def _latest(request: Request, viewer: Viewer) -> reports_api.PlanOut | None:
    """Last night's kept plan, or None before the first night."""
    try:
        return await reports_api.latest_plan(request.app.state.runtime, viewer.principal, _language(viewer))
    except NotFound:
        return None  # no night has passed yet: the page offers to plan now


@router.post("/officer/plan", response_class=HTMLResponse)
async def run_plan(request: Request) -> Response:
    """Plan the region now (as ``POST /plans``) and show it beside the fairness report. It suggests; coaches decide."""
    sent = await posted(request, *OFFICERS)
    if isinstance(sent, Response):
        return sent
    viewer, _ = sent
    now = await request_time(request)
    try:
        plan = await reports_api.make_plan(request.app.state.runtime, viewer.principal, _language(viewer), now, None)
    except ClientError as exc:
        return refusal(request, viewer, exc)
    return await _plan_page(request, viewer, plan)


def _text(form: FormData, name: str) -> str:
    raw = form.get(name)
    return raw.strip() if isinstance(raw, str) else ""


def _quota(group: TargetGroup, places: str, share: str) -> RegionQuota | str | None:
    """The quota a group's two fields ask for (None: none), or the message key of what is wrong with them."""
    percent = PERCENT.fullmatch(share)
    wanted_share = None if percent is None else float(f"{percent[1]}.{percent[2] or 0}")
    no_places, no_share = places in ("", "0"), share == "" or wanted_share == 0
    if not no_places and not no_share:
        return "officer.policy.error.both"
    if not no_places:
        if not WHOLE.fullmatch(places) or not 1 <= int(places) <= MAX_QUOTA:
            return "officer.policy.error.places"
        return RegionQuota(target_group=group, places=int(places))
    if no_share:
        return None
    if wanted_share is None or wanted_share > 100:
        return "officer.policy.error.share"
    return RegionQuota(target_group=group, share=wanted_share / 100)


async def _save_policy(
    request: Request, viewer: Viewer, change: Callable[[reports_api.PolicyOut], PlanRequest], then: str
) -> Response:
    """Change the standing policy (as ``PUT /plans/policy``): the rest of it as it stands, then off to ``then``.

    A policy the API would not take (more reservations than it holds) is refused with its reason, 422.
    """
    runtime = request.app.state.runtime
    now = await request_time(request)
    try:
        current = await reports_api.get_policy(runtime, viewer.principal)
        await reports_api.set_policy(runtime, viewer.principal, now, change(current))
    except ClientError as exc:
        return refusal(request, viewer, exc)
    except ValidationError as exc:
        return error_page(request, "error.refused", 422, exc.errors()[0]["msg"], viewer=viewer)
    return RedirectResponse(then, status_code=303)


@router.post("/officer/plan/policy", response_class=HTMLResponse)
async def set_quotas(request: Request) -> Response:
    """The nightly plan's standing quotas per target group, as ``PUT /plans/policy``: a number of places or a
    share (in %) of the plan's free places; both empty (or 0) for none.

    The policy's reserved places are kept as they are. A group with both filled in, a number of places that
    is not a whole number from 1 to 1,000,000 or a share that is not a percentage above 0 and at most 100 is
    refused, next to its fields, and nothing changes.
    """
    sent = await posted(request, *OFFICERS)
    if isinstance(sent, Response):
        return sent
    viewer, form = sent
    values = {
        name: _text(form, name) for group in TargetGroup for name in (f"quota-{group.value}", f"share-{group.value}")
    }
    quotas: list[RegionQuota] = []
    errors: dict[str, tuple[str, dict[str, int]]] = {}
    for group in TargetGroup:
        found = _quota(group, values[f"quota-{group.value}"], values[f"share-{group.value}"])
        if isinstance(found, str):
            errors[group.value] = (found, {})
        elif found is not None:
            quotas.append(found)
    if errors:
        typed = PolicyForm(values=values, errors=errors)
        return await _plan_page(request, viewer, await _latest(request, viewer), quotas=typed)
    return await _save_policy(
        request,
        viewer,
        lambda current: PlanRequest(reserved=current.reserved, quotas=quotas),
        "/officer/plan?policy=saved#policy-heading",
    )


@router.post("/officer/plan/reserved", response_class=HTMLResponse)
async def reserve_places(request: Request) -> Response:
    """Reserve places of one open opportunity for one target group (as ``PUT /plans/policy``, the rest of the
    policy kept); a group's reservation on that place is replaced.

    The place must be an open one, the group one of the target groups, and the places a whole number from
    1 to what the place has that no other group holds reserved (at most 1,000, as the API takes); otherwise
    the form again with the reason next to the field, and nothing changes.
    """
    sent = await posted(request, *OFFICERS)
    if isinstance(sent, Response):
        return sent
    viewer, form = sent
    runtime = request.app.state.runtime
    values = {name: _text(form, name) for name in ("opportunity", "group", "places")}
    try:
        current = await reports_api.get_policy(runtime, viewer.principal)
    except ClientError as exc:
        return refusal(request, viewer, exc)
    errors: dict[str, tuple[str, dict[str, int]]] = {}
    place = await _open_place(request, viewer, values["opportunity"])
    if place is None:
        errors["opportunity"] = ("officer.reserved.error.opportunity", {})
    group = next((g for g in TargetGroup if g.value == values["group"]), None)
    if group is None:
        errors["group"] = ("officer.reserved.error.group", {})
    most = MAX_RESERVED
    if place is not None:
        others = sum(r.places for r in current.reserved if r.opportunity_id == place.id and r.target_group != group)
        most = min(MAX_RESERVED, place.places_total - others)
    if most < 1:
        errors["places"] = ("officer.reserved.error.full", {"total": place.places_total if place else 0})
    elif not WHOLE.fullmatch(values["places"]) or not 1 <= int(values["places"]) <= most:
        errors["places"] = ("officer.reserved.error.places", {"most": most})
    if errors or place is None or group is None:
        typed = PolicyForm(values=values, errors=errors)
        return await _plan_page(request, viewer, await _latest(request, viewer), reserve=typed)
    wanted = Reserve(opportunity_id=place.id, target_group=group, places=int(values["places"]))
    return await _save_policy(
        request,
        viewer,
        lambda current: PlanRequest(
            reserved=[*_without(current.reserved, place.id, group), wanted], quotas=current.quotas
        ),
        "/officer/plan?policy=reserved#reserved-heading",
    )


async def _open_place(request: Request, viewer: Viewer, chosen: str) -> OpportunityOut | None:
    """The open opportunity the form names, or None when the id is not one, unknown or closed."""
    try:
        found = await opportunity_api.get_opportunity(uuid.UUID(chosen), request.app.state.runtime, viewer.principal)
    except (ValueError, NotFound):
        return None
    return None if found.status == "closed" else found


def _without(reserved: list[Reserve], opportunity_id: uuid.UUID, group: TargetGroup) -> list[Reserve]:
    return [r for r in reserved if (r.opportunity_id, r.target_group) != (opportunity_id, group)]


@router.post("/officer/plan/reserved/remove", response_class=HTMLResponse)
async def unreserve_places(request: Request) -> Response:
    """Remove one reservation (a place and a target group) from the standing policy (as ``PUT /plans/policy``)."""
    sent = await posted(request, *OFFICERS)
    if isinstance(sent, Response):
        return sent
    viewer, form = sent
    runtime = request.app.state.runtime
    try:
        current = await reports_api.get_policy(runtime, viewer.principal)
    except ClientError as exc:
        return refusal(request, viewer, exc)
    opportunity, group = _text(form, "opportunity"), _text(form, "group")
    held = [r for r in current.reserved if (str(r.opportunity_id), r.target_group.value) == (opportunity, group)]
    if not held:
        return error_page(request, "error.not_found", 404, viewer=viewer)
    return await _save_policy(
        request,
        viewer,
        lambda current: PlanRequest(
            reserved=_without(current.reserved, held[0].opportunity_id, held[0].target_group), quotas=current.quotas
        ),
        "/officer/plan?policy=reserved#reserved-heading",
    )
