"""Matching's part of ``regionet demo``: opportunities of every kind, and proposals in every state.

Runs after intake (employers and participants from ``api.summary.ids``). Opportunities are
published by a programme officer on the employers' behalf; then, for the first participants
with matching consent, their coach widens the travel radius, asks for suggestions and proposes
the best one, and the proposals are taken through the flow so that every state shows: proposed,
interested, interview, placed, retained, ended, declined and withdrawn. The first proposals are
left to expire: an administrator runs matching's housekeeping as of a day after their hold ran
out (``POST /housekeeping/sweep``, which a development deployment has and production does not),
before any other proposal holds a place. A programme officer sets the nightly plan's standing
policy (a region-wide quota for women), which the plan made at night applies. Crebo codes here are
made up.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from shared.settings import DEV_ADMIN
from shared.tooling.demo.dataset import OCCUPATIONS, DemoRegion
from shared.tooling.demo.loader import READ_MODEL_WAIT_SECONDS, DemoApi

OFFICER = ("programme_officer", "demo-officer")
KINDS = ("vacancy", "bbl", "internship", "hybrid_teacher")
ADMIN = ("admin", DEV_ADMIN)
PER_EMPLOYER = 2
PROPOSALS = 24
EXPIRING = 3  # the first proposals, left to expire
HOLD_DAYS = 14  # matching's default hold; the sweep runs a day after it
POLICY = {"quotas": [{"target_group": "woman", "share": 0.2}]}
# The steps after "proposed" that bring a proposal into each state, in turn.
PATHS: tuple[tuple[tuple[str, dict[str, Any] | None], ...], ...] = (
    (),
    (("interested", None),),
    (("interested", None), ("interview", None)),
    (("interested", None), ("interview", None), ("placed", None)),
    (("interested", None), ("placed", None), ("retained", {"months": 3})),
    (("interested", None), ("interview", None), ("placed", None), ("end", {"reason": "contract_ended"})),
    (("decline", {"reason": "experience"}),),
    (("withdraw", {"reason": "candidate_withdrew"}),),
)


def opportunity_bodies(demo: DemoRegion, employer_ids: list[str]) -> list[dict[str, Any]]:
    """Two opportunities per employer, the kinds and occupations in turn, at the employer's postcode."""
    today = dt.date.today()
    bodies = []
    for i, (employer, employer_id) in enumerate(zip(demo.employers, employer_ids, strict=True)):
        for j in range(PER_EMPLOYER):
            n = i * PER_EMPLOYER + j
            kind = KINDS[n % len(KINDS)]
            occupation = "vocational-teacher" if kind == "hybrid_teacher" else OCCUPATIONS[n % (len(OCCUPATIONS) - 1)]
            learning = kind in ("bbl", "internship")
            bodies.append(
                {
                    "employer_id": employer_id,
                    "kind": kind,
                    "title": f"{occupation.replace('-', ' ').capitalize()} ({kind.replace('_', ' ')})",
                    "occupation": occupation,
                    "hours": (32, 36, 24, 38)[n % 4] if kind != "hybrid_teacher" else 8,
                    "start_date": (today + dt.timedelta(days=14 + 7 * (n % 6))).isoformat(),
                    "postcode": employer["postcode"],
                    "open_until": (today + dt.timedelta(days=90)).isoformat(),
                    "places_total": 1 + n % 3,
                    "crebo": f"25{100 + n % 40:03d}" if learning else None,
                    "recognised": learning and bool(employer["accredited_learning_company"]),
                    "recognition_checked_on": today.isoformat() if learning else None,
                    "language_required": "B1" if n % 3 == 0 else None,
                }
            )
    return bodies


def request_count(demo: DemoRegion) -> int:
    """How many steps matching's part of ``demo`` reports (a proposal and its flow count as one)."""
    return len(demo.employers) * PER_EMPLOYER + PROPOSALS + 2  # and the sweep, and the plan's policy


async def _known(api: DemoApi, participant_id: str, coach: str) -> bool:
    """Wait until matching has heard of the participant from intake's events."""
    waited = 0.0
    while waited < READ_MODEL_WAIT_SECONDS:
        if (await api.get("matching", f"/candidates/{participant_id}", "coach", coach)).status_code == 200:
            return True
        await asyncio.sleep(0.5)
        waited += 0.5
    return False


async def load(demo: DemoRegion, api: DemoApi) -> None:
    """Publish the opportunities, then propose candidates and take each proposal to a state."""

    async def publish(body: dict[str, Any]) -> None:
        created = await api.post("matching", "/opportunities", body, *OFFICER)
        api.summary.add("opportunities", created["id"])

    await api.each("opportunities", opportunity_bodies(demo, api.summary.ids["employers"]), publish)
    willing = [
        (coach, participant_id)
        for (coach, body), participant_id in zip(demo.participants, api.summary.ids["participants"], strict=True)
        if "matching" in body["consents"]
    ][:PROPOSALS]

    async def propose(slot: int) -> None:
        if slot >= len(willing):
            return
        coach, participant_id = willing[slot]
        if not await _known(api, participant_id, coach):
            return
        suggestions = await api.get("matching", f"/candidates/{participant_id}/suggestions", "coach", coach)
        best = suggestions.json()["suggestions"] if suggestions.status_code == 200 else []
        if not best:
            return
        body = {"participant_id": participant_id, "opportunity_id": best[0]["opportunity_id"]}
        proposal = await api.post("matching", "/proposals", body, "coach", coach)
        made = len(api.summary.ids.get("proposals", []))
        api.summary.add("proposals", proposal["id"])
        path = () if made < EXPIRING else PATHS[(made - EXPIRING) % len(PATHS)]
        for step, step_body in path:
            await api.post("matching", f"/proposals/{proposal['id']}/{step}", step_body or {}, "coach", coach)

    # One after another: each proposal holds a place, which the next suggestions must see.
    for slot in range(PROPOSALS):
        if slot == EXPIRING:
            await api.post("matching", "/housekeeping/sweep", {"days_ahead": HOLD_DAYS + 1}, *ADMIN)
            api.advance("holds running out", 1)
        await propose(slot)
        api.advance("proposals", 1)
    await api.put("matching", "/plans/policy", POLICY, *OFFICER)
    api.advance("the nightly plan's policy", 1)
