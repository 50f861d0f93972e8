"""Matching over HTTP: suggestions for one candidate against 50,000 opportunities and for one
opportunity against 100,000 candidates, beside the same rankings in process; and how long an
intake event takes to show in the suggestions.

In one run against the same servers:

1. the matching service runs under uvicorn on a free local port; 50,000 opportunities and
   100,000 candidates (the shapes of ``bench.matching_plan``: real postcode areas of the whole
   Netherlands, the shipped vocabulary, a fixed seed) are COPYed into its fresh schema;
2. the first request of each side, which builds the service's in-process copy of the table
   (``services/matching/snapshot.py``);
3. ``GET /candidates/{id}/suggestions`` and ``GET /opportunities/{id}/suggestions`` as an
   administrator, one request at a time, for random subjects: p50 / p95, each with its
   explanations in Dutch; then the same with ``--http-clients`` clients at once (rate);
4. the raw baseline: ``batch.rank_opportunities`` / ``batch.rank_candidates`` on arrays built in
   this process from the same rows, for the same subjects (no HTTP, no database, no explanations);
5. event to suggestions: a ``participant.consent_withdrawn`` for the best candidate of an
   opportunity is published on the INTAKE stream; the time until that opportunity's suggestions
   no longer show them (consumer, candidates table, the copy patched with the changed row);
6. the same for a ``participant.erased`` of the next best candidate: the profile is deleted and the
   copy is patched from the recorded removal, beside the first request of step 2 (the whole read
   and build of 100,000 candidates, which is what every erasure cost before removals were kept).

Target (information only, never asserted): p95 under 100 ms; event to suggestions under 5 s.
Client and server share one process and event loop, so the HTTP figures include client cost.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import random
import time
import uuid
from collections.abc import Callable, Sequence

import asyncpg
import httpx

from bench.common import Report, Row, fmt_ms, fmt_rate, percentile, serving
from bench.matching_plan import _areas, make_candidates, make_opportunities
from services.matching.app import definition as matching
from services.matching.batch import Candidates, Opportunities, rank_candidates, rank_opportunities
from services.matching.domain import Candidate, Opportunity
from services.matching.vocabulary import load
from shared.events.contracts.intake import ConsentPurpose, ParticipantConsentWithdrawn, ParticipantErased
from shared.events.envelope import Envelope, EventData
from tests.support.platform import Platform, open_platform
from tests.support.servers import Servers

NAME = "matching-http"
TARGET_P95_SECONDS = 0.100
TARGET_EVENT_SECONDS = 5.0
POOL_SIZE = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This benchmark's options."""
    group = parser.add_argument_group("matching-http")
    group.add_argument("--http-opportunities", type=int, default=50_000, help="opportunities loaded (50000)")
    group.add_argument("--http-candidates", type=int, default=100_000, help="candidates loaded (100000)")
    group.add_argument("--http-requests", type=int, default=200, help="timed requests per side (200)")
    group.add_argument("--http-clients", type=int, default=8, help="clients at once for the rate (8)")


async def bulk_load(platform: Platform, cands: Sequence[Candidate], opps: Sequence[Opportunity]) -> float:
    """COPY the candidates and opportunities into matching's tables (ids are UUIDs there); the seconds it took."""
    now = dt.datetime.now(dt.UTC)
    conn = await asyncpg.connect(platform.admin_dsn)
    try:
        started = time.perf_counter()
        await conn.copy_records_to_table(
            "candidates",
            schema_name="matching",
            records=[
                (
                    uuid.UUID(c.id), f"coach-{i % 100:03d}", "looking_for_work", c.area.removeprefix("NL-"),
                    sorted(c.skills), list(c.desired_occupations), c.hours_min, c.hours_max, c.available_from,
                    round(c.travel_radius_km), c.language_level.name if c.language_level else None,
                    c.matching_consent,
                )
                for i, c in enumerate(cands)
            ],
            columns=[
                "participant_id", "coach_id", "situation", "postcode_area", "skills", "desired_occupations",
                "hours_min", "hours_max", "available_from", "travel_radius_km", "language_level", "matching_consent",
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "opportunities",
            schema_name="matching",
            records=[
                (
                    uuid.UUID(o.id), uuid.UUID(int=i % 2000 + 1), o.kind.value, f"Plaats {i}", o.occupation,
                    list(o.essential_skills), list(o.optional_skills), o.hours, o.start_date, "NL",
                    o.area.removeprefix("NL-"), o.open_until, o.places_total, o.crebo, bool(o.recognised_crebos),
                    now.date() if o.recognised_crebos else None,
                    o.language_required.name if o.language_required else None, now, "bench",
                )
                for i, o in enumerate(opps)
            ],
            columns=[
                "id", "employer_id", "kind", "title", "occupation", "essential_skills", "optional_skills", "hours",
                "start_date", "country", "postcode", "open_until", "places_total", "crebo", "recognised",
                "recognition_checked_on", "language_required", "last_confirmed_at", "created_by",
            ],
        )  # fmt: skip
        await conn.execute("ANALYZE matching.candidates")
        await conn.execute("ANALYZE matching.opportunities")
        return time.perf_counter() - started
    finally:
        await conn.close()


def _with_uuids(cands: list[Candidate], opps: list[Opportunity]) -> tuple[list[Candidate], list[Opportunity]]:
    """The same candidates and opportunities with UUIDs for ids, as the service keeps them."""
    return (
        [dataclasses.replace(c, id=str(uuid.uuid4())) for c in cands],
        [dataclasses.replace(o, id=str(uuid.uuid4())) for o in opps],
    )


async def timed_requests(
    client: httpx.AsyncClient, paths: Sequence[str], headers: dict[str, str]
) -> tuple[list[float], int]:
    """Seconds per request, one at a time; and how many suggestions they answered in all."""
    times, found = [], 0
    for path in paths:
        started = time.perf_counter()
        response = await client.get(path, headers=headers)
        times.append(time.perf_counter() - started)
        response.raise_for_status()
        found += len(response.json()["suggestions"])
    return times, found


async def rate(client: httpx.AsyncClient, paths: Sequence[str], headers: dict[str, str], clients: int) -> float:
    """Requests per second with ``clients`` at once."""
    todo = iter(paths)

    async def worker() -> None:
        for path in todo:
            (await client.get(path, headers=headers)).raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return len(paths) / (time.perf_counter() - started)


def baseline(subjects: Sequence[object], rank: Callable[[object], object]) -> list[float]:
    times = []
    for subject in subjects:
        started = time.perf_counter()
        rank(subject)
        times.append(time.perf_counter() - started)
    return times


def withdrawn(participant: uuid.UUID) -> EventData:
    return ParticipantConsentWithdrawn(
        participant_id=participant, purpose=ConsentPurpose.MATCHING, source="participant"
    )


def erased(participant: uuid.UUID) -> EventData:
    return ParticipantErased(participant_id=participant)


async def event_to_suggestions(
    platform: Platform,
    client: httpx.AsyncClient,
    opportunity: str,
    headers: dict[str, str],
    event: Callable[[uuid.UUID], EventData],
) -> float:
    """Seconds from publishing ``event`` about the opportunity's best candidate until they are gone."""
    path = f"/opportunities/{opportunity}/suggestions"
    best = (await client.get(path, headers=headers)).json()["suggestions"][0]["candidate"]["participant_id"]
    envelope = Envelope.wrap(event(uuid.UUID(best)), region=platform.region, subject=best)
    started = time.perf_counter()
    await platform.js.publish(envelope.nats_subject, envelope.to_bytes(), headers={"Nats-Msg-Id": str(envelope.id)})
    while True:
        shown = (await client.get(path, headers=headers)).json()["suggestions"]
        if all(s["candidate"]["participant_id"] != best for s in shown):
            return time.perf_counter() - started
        await asyncio.sleep(0.02)


def _p(times: Sequence[float]) -> str:
    return f"{fmt_ms(percentile(times, 50))} / {fmt_ms(percentile(times, 95))}"


async def _measure(report: Report, platform: Platform, args: argparse.Namespace) -> None:
    vocab = load()
    rng = random.Random(11)
    areas = _areas(("NL-",))
    opps = make_opportunities(args.http_opportunities, areas, vocab, rng)
    cands = make_candidates(args.http_candidates, areas, vocab, rng)
    cands, opps = _with_uuids(cands, opps)
    today = dt.datetime.now(dt.UTC).date()
    # The service creates its tables when it starts; the region is loaded after.
    async with serving(platform, matching, POOL_SIZE) as url, httpx.AsyncClient(base_url=url, timeout=120) as client:
        loaded = await bulk_load(platform, cands, opps)
        report.notes.append(f"{len(opps):,} opportunities and {len(cands):,} candidates COPYed in {fmt_ms(loaded)}")
        await platform.enrol("admin", "admin-bench")  # a token's account must be in the registry
        admin = {"Authorization": f"Bearer {platform.token('admin', 'admin-bench')}"}
        some_cands = rng.sample(cands, args.http_requests)
        some_opps = rng.sample(opps, args.http_requests)
        cand_paths = [f"/candidates/{c.id}/suggestions" for c in some_cands]
        opp_paths = [f"/opportunities/{o.id}/suggestions" for o in some_opps]
        started = time.perf_counter()
        (await client.get(cand_paths[0], headers=admin)).raise_for_status()
        first_cand = time.perf_counter() - started
        started = time.perf_counter()
        (await client.get(opp_paths[0], headers=admin)).raise_for_status()
        first_opp = time.perf_counter() - started
        report.rows.append(
            Row("first request, candidate side (reads and builds 50,000 opportunities)", fmt_ms(first_cand))
        )
        report.rows.append(
            Row("first request, opportunity side (reads and builds 100,000 candidates)", fmt_ms(first_opp))
        )

        os = Opportunities.build(opps, vocab, today)
        cs = Candidates.build([c for c in cands if c.matching_consent], vocab)
        for what, paths, subjects, rank in (
            (
                f"1 candidate vs {len(opps):,} opportunities",
                cand_paths,
                some_cands,
                lambda c: rank_opportunities(c, os, vocab),
            ),
            (
                f"1 opportunity vs {len(cands):,} candidates",
                opp_paths,
                some_opps,
                lambda o: rank_candidates(o, cs, vocab, today),
            ),
        ):
            times, found = await timed_requests(client, paths, admin)
            raw = baseline(subjects, rank)
            p95 = percentile(times, 95)
            report.rows.append(
                Row(
                    f"HTTP suggestions, {what}: p50 / p95",
                    _p(times),
                    f"raw ranking {_p(raw)}",
                    "PASS" if p95 < TARGET_P95_SECONDS else "FAIL",
                )
            )
            per_second = await rate(client, paths, admin, args.http_clients)
            report.rows.append(Row(f"HTTP suggestions, {what}: {args.http_clients} clients", fmt_rate(per_second)))
            report.data.setdefault("sides", []).append(
                {
                    "what": what,
                    "http_p50_s": percentile(times, 50),
                    "http_p95_s": p95,
                    "raw_p50_s": percentile(raw, 50),
                    "raw_p95_s": percentile(raw, 95),
                    "rate_per_s": per_second,
                    "suggestions_per_answer": found / len(paths),
                }
            )
        opportunity = ""
        for o in some_opps:
            if (await client.get(f"/opportunities/{o.id}/suggestions", headers=admin)).json()["suggestions"]:
                opportunity = o.id
                break
        for what, event, beside, key in (
            ("consent withdrawn", withdrawn, f"target < {TARGET_EVENT_SECONDS:.0f} s", "event_to_suggestions_s"),
            ("participant erased", erased, f"whole read and build (first request): {fmt_ms(first_opp)}", "erasure_s"),
        ):
            seconds = await event_to_suggestions(platform, client, opportunity, admin, event)
            report.rows.append(
                Row(
                    f"intake event ({what}) → gone from the suggestions",
                    fmt_ms(seconds),
                    beside,
                    "PASS" if seconds < TARGET_EVENT_SECONDS else "FAIL",
                )
            )
            report.data[key] = seconds
        report.data["first_request_s"] = {"candidate_side": first_cand, "opportunity_side": first_opp}


async def run(servers: Servers, args: argparse.Namespace) -> Report:
    """Load a region into matching, then time suggestions over HTTP against the in-process ranking."""
    report = Report(NAME, "Matching over HTTP: suggestions at 50,000 opportunities / 100,000 candidates")
    async with open_platform(servers) as platform:
        await _measure(report, platform, args)
    return report
