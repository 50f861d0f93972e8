"""The web UI's pages over HTTP with a region loaded, beside the JSON API in the same run.

In one run against the same servers:

1. matching runs under uvicorn on a free local port; 10,000 candidates (100 coaches of 100 each)
   and 2,000 opportunities (the shapes of ``bench.matching_plan``, a fixed seed) are COPYed into
   its schema, with 20 proposals, 100 vouchers events and 3 saved searches per coach;
2. a coach signs in through the development picker (a session cookie, as a browser would);
3. each coach page is fetched ``--web-requests`` times, one at a time, after one warm-up request:
   the caseload, a candidate (random, of the caseload: profile, timeline, proposals, explained
   suggestions), the pipeline, the places list, a place (random: capacity and the caseload ranked
   for it) and the saved searches; p50 / p95 of each; then, signed in as an employer (owner of one
   place, with its proposals) and as a programme officer, the employer's places and proposals, and
   the officer's dashboard (inflow per target group over every candidate) and plan-and-fairness page
   (the fairness report over every candidate);
4. the raw baseline, same run, same coach: ``GET /candidates/{id}/suggestions`` of the JSON API
   (the same ranking and explanations, no page) and ``GET /health`` (a trivial answer).

Intake, vouchers and notifications are not running: a page that asks intake for names, or vouchers
for the budget, gets a refused connection at once and says so, so the figures leave out those
services' own answer times. Target (information only,
never asserted): every page's p95 under 300 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import socket
import time
import uuid
from collections.abc import Sequence

import asyncpg
import httpx

from bench.common import Report, Row, fmt_ms, percentile, serving
from bench.matching_http import _with_uuids, bulk_load
from bench.matching_plan import _areas, make_candidates, make_opportunities
from services.matching.app import definition as matching
from services.matching.vocabulary import load
from shared.auth import Role
from tests.support.platform import Platform, open_platform
from tests.support.servers import Servers

NAME = "web-pages"
TARGET_P95_SECONDS = 0.300
POOL_SIZE = 10
COACH = "coach-000"
EMPLOYER, EMPLOYER_PARTY = "employer-bench", str(uuid.UUID(int=1))  # owns the first opportunity (bulk_load)
OFFICER = "officer-bench"
STATES = ("proposed", "interested", "interview", "placed", "retained", "declined", "withdrawn", "expired")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's options."""
    group = parser.add_argument_group("web-pages")
    group.add_argument("--web-candidates", type=int, default=10_000, help="candidates loaded (10000)")
    group.add_argument("--web-opportunities", type=int, default=2_000, help="opportunities loaded (2000)")
    group.add_argument("--web-requests", type=int, default=100, help="timed requests per page (100)")


def closed_port() -> str:
    """A local URL where nothing listens (intake and notifications are not part of this benchmark)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def load_activity(platform: Platform, candidates: Sequence[str], opportunities: Sequence[str]) -> None:
    """Proposals, vouchers events and saved searches for every coach's caseload (written straight to the tables)."""
    rng = random.Random(5)
    now = dt.datetime.now(dt.UTC)
    proposals, steps, events, searches = [], [], [], []
    for i, participant in enumerate(candidates):
        coach = f"coach-{i % 100:03d}"
        if i % 5 == 0:  # 20 proposals per coach of 100 candidates
            proposal, status = uuid.uuid4(), STATES[i % len(STATES)]
            at = now - dt.timedelta(days=rng.randint(0, 40))
            proposals.append(
                (
                    proposal, uuid.UUID(rng.choice(opportunities)), uuid.UUID(int=i % 2000 + 1), uuid.UUID(participant),
                    coach, coach, status, status in ("proposed", "interested", "interview"), 50.0, "bench",
                    '{"nl": "-", "de": "-", "en": "-"}', at, at,
                )
            )  # fmt: skip
            steps.append((proposal, status, "coach", at))
        events.append(
            (uuid.uuid4(), uuid.UUID(participant), "voucher.issued", None, now - dt.timedelta(days=rng.randint(0, 90)))
        )
        if i < 300:
            searches.append((uuid.uuid4(), coach, None, "welder", None, "NL-6811", 25, now))
    conn = await asyncpg.connect(platform.admin_dsn)
    try:
        await conn.copy_records_to_table(
            "proposals",
            schema_name="matching",
            records=proposals,
            columns=[
                "id", "opportunity_id", "employer_id", "participant_id", "coach_id", "proposed_by", "status",
                "holds_place", "score", "weights_version", "explanation", "created_at", "updated_at",
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "proposal_steps", schema_name="matching", records=steps, columns=["proposal_id", "status", "by_role", "at"]
        )
        await conn.copy_records_to_table(
            "timeline",
            schema_name="matching",
            records=events,
            columns=["event_id", "participant_id", "kind", "reason", "at"],
        )
        await conn.copy_records_to_table(
            "saved_searches",
            schema_name="matching",
            records=searches,
            columns=["id", "owner", "participant_id", "occupation", "kind", "area", "radius_km", "created_at"],
        )
        for table in ("proposals", "proposal_steps", "timeline", "saved_searches"):
            await conn.execute(f"ANALYZE matching.{table}")
    finally:
        await conn.close()


async def sign_in(client: httpx.AsyncClient, account: str) -> None:
    """The development picker, as a browser uses it; the client keeps the session cookie."""
    picker = await client.get("/signin")
    found = re.search(r'name="csrf" value="([^"]+)"', picker.text)
    assert found is not None, picker.text[:500]
    answer = await client.post("/signin", data={"account": account, "csrf": found.group(1)})
    assert answer.status_code == 303, answer.text[:500]


async def timed(client: httpx.AsyncClient, paths: Sequence[str], headers: dict[str, str] | None = None) -> list[float]:
    """Seconds per request, one at a time, after one untimed warm-up request; every answer must be 200."""
    (await client.get(paths[0], headers=headers)).raise_for_status()
    times = []
    for path in paths:
        started = time.perf_counter()
        answer = await client.get(path, headers=headers)
        times.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:300]}")
    return times


def _p(times: Sequence[float]) -> str:
    return f"{fmt_ms(percentile(times, 50))} / {fmt_ms(percentile(times, 95))}"


async def _measure(report: Report, platform: Platform, args: argparse.Namespace) -> None:
    vocab = load()
    rng = random.Random(17)
    areas = _areas(("NL-",))
    opps = make_opportunities(args.web_opportunities, areas, vocab, rng)
    cands = make_candidates(args.web_candidates, areas, vocab, rng)
    cands, opps = _with_uuids(cands, opps)
    nowhere = closed_port()
    async with (
        serving(
            platform, matching, POOL_SIZE, intake_url=nowhere, notifications_url=nowhere, vouchers_url=nowhere
        ) as url,
        httpx.AsyncClient(base_url=url, timeout=60) as browser,
        httpx.AsyncClient(base_url=url, timeout=60) as employer,
        httpx.AsyncClient(base_url=url, timeout=60) as officer,
        httpx.AsyncClient(base_url=url, timeout=60) as api,
    ):
        await bulk_load(platform, cands, opps)
        candidate_ids, opportunity_ids = [c.id for c in cands], [o.id for o in opps]
        await load_activity(platform, candidate_ids, opportunity_ids)
        report.notes.append(
            f"{len(cands):,} candidates (100 coaches), {len(opps):,} opportunities; per coach 20 proposals,"
            " 100 vouchers events, 3 saved searches"
        )
        await platform.enrol(Role.COACH, COACH)
        await platform.enrol(Role.EMPLOYER, EMPLOYER, EMPLOYER_PARTY)
        await platform.enrol(Role.PROGRAMME_OFFICER, OFFICER)
        await sign_in(browser, COACH)
        await sign_in(employer, EMPLOYER)
        await sign_in(officer, OFFICER)
        bearer = {"Authorization": f"Bearer {platform.token(Role.COACH, COACH)}"}
        caseload = candidate_ids[0::100]  # coach-000's: every hundredth (bench.matching_http.bulk_load)
        n = args.web_requests
        mine = [rng.choice(caseload) for _ in range(n)]
        places = [rng.choice(opportunity_ids) for _ in range(n)]
        pages = {
            "caseload (/coach)": (browser, ["/coach"] * n),
            "candidate (/coach/candidates/{id})": (browser, [f"/coach/candidates/{c}" for c in mine]),
            "pipeline (/coach/pipeline)": (browser, ["/coach/pipeline"] * n),
            "places (/coach/opportunities)": (browser, ["/coach/opportunities"] * n),
            "place (/coach/opportunities/{id})": (browser, [f"/coach/opportunities/{o}" for o in places]),
            "saved searches (/coach/searches)": (browser, ["/coach/searches"] * n),
            "employer's places (/employer)": (employer, ["/employer"] * n),
            "employer's proposals (/employer/proposals)": (employer, ["/employer/proposals"] * n),
            "officer's dashboard (/officer)": (officer, ["/officer"] * n),
            "officer's plan and fairness (/officer/plan)": (officer, ["/officer/plan"] * n),
        }
        raw_api = await timed(api, [f"/candidates/{c}/suggestions" for c in mine], bearer)
        raw_health = await timed(api, ["/health"] * n)
        baseline = f"API suggestions {_p(raw_api)}; /health {_p(raw_health)}"
        for name, (client, paths) in pages.items():
            times = await timed(client, paths)
            p95 = percentile(times, 95)
            report.rows.append(
                Row(
                    f"{name}: p50 / p95",
                    _p(times),
                    baseline,
                    "PASS" if p95 < TARGET_P95_SECONDS else "FAIL",
                )
            )
            report.data.setdefault("pages", []).append(
                {"page": name, "p50_s": percentile(times, 50), "p95_s": p95, "requests": len(times)}
            )
        report.data["baseline"] = {
            "api_suggestions_p50_s": percentile(raw_api, 50),
            "api_suggestions_p95_s": percentile(raw_api, 95),
            "health_p50_s": percentile(raw_health, 50),
            "health_p95_s": percentile(raw_health, 95),
        }


async def run(servers: Servers, args: argparse.Namespace) -> Report:
    """Load a region into matching, then time the coach's pages against the JSON API."""
    report = Report(NAME, "The web UI's pages at 10,000 candidates / 2,000 opportunities")
    async with open_platform(servers) as platform:
        await _measure(report, platform, args)
    return report
