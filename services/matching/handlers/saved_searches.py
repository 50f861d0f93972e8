"""Coaches' saved searches: saving one, removing one, and checking them when an opportunity opens.

A search is checked in the transaction that publishes the opportunity: each one that fits is
recorded once (``saved_search_hits``) and emits ``saved_search.matched``, which notifications
turns into a line in the coach's feed and its live stream.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.matching import geo
from services.matching.access import reachable_candidate
from services.matching.db import candidates as candidate_store
from services.matching.db import saved_searches as store
from services.matching.domain import evaluate
from services.matching.handlers.commands import SaveSearch
from services.matching.snapshot import candidate_of, opportunity_of
from services.matching.vocabulary import load
from shared.auth import Principal
from shared.db.uow import UnitOfWork
from shared.errors import NotFound
from shared.events.contracts.matching import OpportunityKind, SavedSearchMatched

DEFAULT_RADIUS_KM = 25


async def save(uow: UnitOfWork, body: SaveSearch, principal: Principal, now: datetime) -> uuid.UUID:
    """Save a search of the caller's; a candidate it names must be in their caseload."""
    if body.participant_id is not None:
        reachable_candidate(principal, await candidate_store.get(uow.conn, body.participant_id))
    search_id = uuid.uuid4()
    fields: dict[str, Any] = {
        "participant_id": body.participant_id,
        "occupation": body.occupation,
        "kind": body.kind.value if body.kind else None,
    }
    if body.postcode is not None:
        fields["area"] = geo.area_key("NL", body.postcode)
        fields["radius_km"] = body.radius_km or DEFAULT_RADIUS_KM
    await store.insert(uow.conn, search_id, principal.sub, fields, now)
    return search_id


async def owned(uow: UnitOfWork, search_id: uuid.UUID, principal: Principal) -> Any:
    """The caller's own saved search; 404 for anyone else's."""
    row = await store.get(uow.conn, search_id)
    if row is None or row["owner"] != principal.sub:
        raise NotFound("There is no such saved search of yours; list yours with GET /saved-searches.")
    return row


async def remove(uow: UnitOfWork, search_id: uuid.UUID, principal: Principal) -> None:
    """Remove one of the caller's saved searches."""
    await owned(uow, search_id, principal)
    await store.delete(uow.conn, search_id)


def fits_place(search: Any, opportunity: Any) -> bool:
    """Occupation, kind and distance of a search against an opportunity (the candidate is checked apart)."""
    if search["occupation"] is not None and search["occupation"] != opportunity["occupation"]:
        return False
    if search["kind"] is not None and search["kind"] != opportunity["kind"]:
        return False
    if search["area"] is not None:
        km = geo.distance(search["area"], geo.area_key(opportunity["country"], opportunity["postcode"])).km
        if km is None or km > search["radius_km"]:
            return False
    return True


async def check_opening(uow: UnitOfWork, opportunity: Any, now: datetime) -> int:
    """Check every saved search against an opportunity that just opened; how many it fits."""
    vocab = load()
    place = opportunity_of(opportunity)
    found = 0
    for search in await store.candidates_for(uow.conn, opportunity["occupation"], opportunity["kind"]):
        if not fits_place(search, opportunity):
            continue
        if search["participant_id"] is not None:
            candidate = await candidate_store.get(uow.conn, search["participant_id"])
            # Only while the person is in the searching coach's caseload, and only a place they may be proposed for.
            if candidate is None or candidate["coach_id"] != search["owner"]:
                continue
            c = candidate_of(candidate, vocab)
            if not evaluate(c, place, vocab, geo.distance(c.area, place.area), now.date()).eligible:
                continue
        if not await store.record_hit(uow.conn, search["id"], opportunity["id"], now):
            continue
        found += 1
        uow.emit(
            SavedSearchMatched(
                opportunity_id=opportunity["id"],
                employer_id=opportunity["employer_id"],
                kind=OpportunityKind(opportunity["kind"]),
                search_id=search["id"],
                coach_id=search["owner"],
                participant_id=search["participant_id"],
                occupation=opportunity["occupation"],
            ),
            subject=str(search["id"]),
        )
    return found
