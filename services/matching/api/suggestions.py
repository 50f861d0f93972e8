"""Suggestions with reasons: the best opportunities for a candidate, the best candidates for an opportunity.

Both use the engine's in-process copy (``snapshot.Engine``), checked against the database on
every request, and explain each suggestion and each near miss in the reader's language.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.matching.access import (
    CoachOrAdmin,
    Owner,
    caseload_of,
    employer_of,
    reachable_candidate,
    reachable_opportunity,
)
from services.matching.api.language import Reader
from services.matching.api.schemas import (
    MissedCandidate,
    MissedOpportunity,
    SuggestedCandidate,
    SuggestedOpportunity,
    SuggestionsForCandidate,
    SuggestionsForOpportunity,
    match_fields,
    profile_out,
)
from services.matching.batch import Candidates, rank_candidates, rank_opportunities
from services.matching.clock import Now
from services.matching.db import candidates as candidate_store
from services.matching.db import employers as employer_store
from services.matching.db import opportunities as opportunity_store
from services.matching.domain import WEIGHTS_VERSION
from services.matching.explain import explain, why_not
from services.matching.snapshot import Engine, candidate_of, opportunity_of
from shared.auth import Role
from shared.service import RuntimeDep

router = APIRouter(tags=["suggestions"])

Limit = Annotated[int, Query(ge=1, le=50, description="How many suggestions")]


def engine_of(runtime: RuntimeDep) -> Engine:
    engine: Engine = runtime.extensions["engine"]
    return engine


@router.get("/candidates/{participant_id}/suggestions", response_model=SuggestionsForCandidate)
async def for_candidate(
    participant_id: uuid.UUID, runtime: RuntimeDep, principal: CoachOrAdmin, lang: Reader, now: Now, limit: Limit = 10
) -> SuggestionsForCandidate:
    """The best opportunities for one candidate of the coach's caseload, and the three nearest misses."""
    engine = engine_of(runtime)
    async with runtime.pool.acquire() as conn:
        row = reachable_candidate(principal, await candidate_store.get(conn, participant_id))
        opportunities = await engine.opportunities(runtime.pool, now.date())
        ranking = rank_opportunities(candidate_of(row, engine.vocab), opportunities, engine.vocab, limit)
        shown = [uuid.UUID(e.opportunity) for e in (*ranking.suggestions, *ranking.near_misses)]
        briefs = await opportunity_store.briefs(conn, shown)

    def brief(opportunity: str) -> dict[str, object]:
        b = briefs[uuid.UUID(opportunity)]
        return {
            "opportunity_id": b["id"],
            "employer_id": b["employer_id"],
            "kind": b["kind"],
            "title": b["title"],
            "occupation": b["occupation"],
        }

    return SuggestionsForCandidate(
        participant_id=participant_id,
        language=lang,
        weights_version=WEIGHTS_VERSION,
        suggestions=[
            SuggestedOpportunity(**brief(e.opportunity), **match_fields(e, explain(e, engine.vocab, lang)))
            for e in ranking.suggestions
            if uuid.UUID(e.opportunity) in briefs
        ],
        near_misses=[
            MissedOpportunity(**brief(e.opportunity), score=e.score, filter=e.failed[0].value, why_not=why_not(e, lang))
            for e in ranking.near_misses
            if uuid.UUID(e.opportunity) in briefs
        ],
    )


@router.get("/opportunities/{opportunity_id}/suggestions", response_model=SuggestionsForOpportunity)
async def for_opportunity(
    opportunity_id: uuid.UUID, runtime: RuntimeDep, principal: Owner, lang: Reader, now: Now, limit: Limit = 10
) -> SuggestionsForOpportunity:
    """The best candidates for one opportunity: a coach sees their own caseload, staff everyone, the employer
    anonymous profiles (a participant's id only when they share their profile with that employer)."""
    engine = engine_of(runtime)
    today = now.date()
    async with runtime.pool.acquire() as conn:
        row = reachable_opportunity(principal, await opportunity_store.get(conn, opportunity_id))
        if principal.role is Role.COACH:
            own = await candidate_store.pool_of_coach(conn, caseload_of(principal))
            candidates = Candidates.build([candidate_of(r, engine.vocab) for r in own], engine.vocab)
        else:
            candidates = await engine.candidates(runtime.pool)
        ranking = rank_candidates(opportunity_of(row), candidates, engine.vocab, today, limit)
        shown = [uuid.UUID(e.candidate) for e in (*ranking.suggestions, *ranking.near_misses)]
        profiles = await candidate_store.get_many(conn, shown)
        sharing = (
            await employer_store.sharing_with(conn, employer_of(principal))
            if principal.role is Role.EMPLOYER
            else set(profiles)
        )
    return SuggestionsForOpportunity(
        opportunity_id=opportunity_id,
        language=lang,
        weights_version=WEIGHTS_VERSION,
        suggestions=[
            SuggestedCandidate(
                candidate=profile_out(profiles[pid], shared=pid in sharing),
                **match_fields(e, explain(e, engine.vocab, lang)),
            )
            for e in ranking.suggestions
            if (pid := uuid.UUID(e.candidate)) in profiles
        ],
        near_misses=[
            MissedCandidate(
                candidate=profile_out(profiles[pid], shared=pid in sharing),
                score=e.score,
                filter=e.failed[0].value,
                why_not=why_not(e, lang),
            )
            for e in ranking.near_misses
            if (pid := uuid.UUID(e.candidate)) in profiles
        ],
    )
