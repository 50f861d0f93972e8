"""The programme officer's pages: the dashboard (inflow per target group, voucher budgets) and the plan with fairness.

The figures are the API's own: ``GET /inflow``, ``GET /fairness`` and ``POST /plans`` of matching
(their route functions, with the same aggregates and the same hiding of small cells), and
vouchers' ``GET /programmes`` and ``GET /programmes/{id}/budget`` read with the officer's own
token. When vouchers does not answer, the dashboard says so in a sentence and shows the rest.
Each chart is inline SVG with its numbers in a table beside it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.matching.api import inflow as inflow_api
from services.matching.api import opportunities as opportunity_api
from services.matching.api import reports as reports_api
from services.matching.clock import request_time
from services.matching.fairness import METRICS
from services.matching.handlers.commands import PlanRequest, RegionQuota
from services.matching.vocabulary import Language
from services.matching.web import charts, upstream
from services.matching.web.common import Viewer, page, posted, refusal, require
from shared.auth import Role
from shared.errors import ClientError, NotFound
from shared.events.contracts.intake import TargetGroup

router = APIRouter(include_in_schema=False)

OFFICERS = (Role.PROGRAMME_OFFICER, Role.ADMIN)
INFLOW_WEEKS = 12
PROGRAMMES_SHOWN = 5
ASSIGNMENTS_SHOWN = 50
OPPORTUNITIES_READ = 500
MAX_QUOTA = 1_000_000  # as RegionQuota.places


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


async def _plan_page(
    request: Request,
    viewer: Viewer,
    plan: reports_api.PlanOut | None,
    *,
    saved: bool = False,
    problems: list[str] | None = None,
    status: int = 200,
) -> Response:
    runtime = request.app.state.runtime
    now = await request_time(request)
    try:
        policy = await reports_api.get_policy(runtime, viewer.principal)
        fairness = await reports_api.fairness(runtime, viewer.principal, now)
        titles: dict[uuid.UUID, str] = {}
        if plan is not None:
            places = await opportunity_api.list_opportunities(
                runtime, viewer.principal, include_closed=False, limit=OPPORTUNITIES_READ, offset=0
            )
            titles = {o.id: o.title for o in places}
    except ClientError as exc:
        return refusal(request, viewer, exc)
    return page(
        request,
        "officer/plan.html",
        {
            "fairness": fairness,
            "metrics": METRICS,
            "plan": plan,
            "assignments": plan.assigned[:ASSIGNMENTS_SHOWN] if plan else [],
            "titles": titles,
            "groups": [g.value for g in TargetGroup],
            "quota_places": {q.target_group.value: q.places for q in policy.quotas if q.places is not None},
            "quota_shares": {q.target_group.value: q.share for q in policy.quotas if q.share is not None},
            "policy": policy,
            "saved": saved,
            "problems": problems or [],
        },
        viewer=viewer,
        status=status,
    )


@router.get("/officer/plan", response_class=HTMLResponse)
async def plan_and_fairness(request: Request) -> Response:
    """The latest kept (nightly) plan, the fairness report per target group (flags below 0.8, small cells
    hidden) and the button to plan now."""
    viewer = await require(request, *OFFICERS)
    if not isinstance(viewer, Viewer):
        return viewer
    saved = request.query_params.get("policy") == "saved"
    return await _plan_page(request, viewer, await _latest(request, viewer), saved=saved)


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


@router.post("/officer/plan/policy", response_class=HTMLResponse)
async def set_quotas(request: Request) -> Response:
    """The nightly plan's standing quotas per target group (places; empty or 0 for none), as ``PUT /plans/policy``.

    The policy's reserved places are kept as they are; a value that is not a whole number from 0 to
    1,000,000 is refused with a sentence and changes nothing.
    """
    sent = await posted(request, *OFFICERS)
    if isinstance(sent, Response):
        return sent
    viewer, form = sent
    runtime = request.app.state.runtime
    quotas: list[RegionQuota] = []
    problems: list[str] = []
    for group in TargetGroup:
        raw = form.get(f"quota-{group.value}")
        text = raw.strip() if isinstance(raw, str) else ""
        if not text or text == "0":
            continue
        if not text.isdigit() or int(text) > MAX_QUOTA:
            problems.append(group.value)
            continue
        quotas.append(RegionQuota(target_group=group, places=int(text)))
    if problems:
        return await _plan_page(request, viewer, await _latest(request, viewer), problems=problems, status=422)
    now = await request_time(request)
    try:
        current = await reports_api.get_policy(runtime, viewer.principal)
        body = PlanRequest(reserved=current.reserved, quotas=quotas)
        await reports_api.set_policy(runtime, viewer.principal, now, body)
    except ClientError as exc:
        return refusal(request, viewer, exc)
    return RedirectResponse("/officer/plan?policy=saved#policy-heading", status_code=303)
