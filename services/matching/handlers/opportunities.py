"""Publishing, changing, confirming and closing opportunities."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.matching.access import employer_of, may_manage
from services.matching.db import employers as employer_store
from services.matching.db import opportunities as store
from services.matching.handlers import proposals, saved_searches
from services.matching.handlers.commands import CreateOpportunity, UpdateOpportunity, check_opportunity, check_place
from services.matching.vocabulary import load
from shared.auth import Principal, Role
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound, Unprocessable
from shared.events.contracts.matching import (
    OpportunityClosed,
    OpportunityConfirmed,
    OpportunityKind,
    OpportunityPublished,
    OpportunityUpdated,
    WithdrawReason,
)

# What an opportunity always has: an update may change these, not empty them.
REQUIRED = (
    "title",
    "occupation",
    "essential_skills",
    "optional_skills",
    "hours",
    "start_date",
    "country",
    "postcode",
    "open_until",
    "places_total",
    "recognised",
)


def ref(row: Any) -> dict[str, Any]:
    """What every opportunity event says about it."""
    return {"opportunity_id": row["id"], "employer_id": row["employer_id"], "kind": OpportunityKind(row["kind"])}


async def create(uow: UnitOfWork, body: CreateOpportunity, principal: Principal, now: datetime) -> uuid.UUID:
    """Publish an opportunity of the caller's employer, or, for staff, of the employer named."""
    if principal.role is Role.EMPLOYER:
        own = employer_of(principal)
        if body.employer_id is not None and body.employer_id != own:
            raise NotFound("You may publish opportunities of your own employer only; leave employer_id out.")
        employer_id = own
    elif body.employer_id is None:
        raise Unprocessable("Name the employer this opportunity belongs to (employer_id).")
    else:
        employer_id = body.employer_id
    if not await employer_store.employer_exists(uow.conn, employer_id):
        raise Unprocessable(f"Employer {employer_id} is not known to matching (yet); register it at intake first.")
    occupation = load().occupations[body.occupation]
    essential = body.essential_skills if body.essential_skills is not None else list(occupation.essential)
    optional = body.optional_skills if body.optional_skills is not None else list(occupation.optional)
    _check_skills(essential, optional)
    opportunity_id = uuid.uuid4()
    await store.insert(
        uow.conn,
        opportunity_id,
        {
            "employer_id": employer_id,
            "kind": body.kind.value,
            "title": body.title,
            "occupation": body.occupation,
            "essential_skills": essential,
            "optional_skills": optional,
            "hours": body.hours,
            "start_date": body.start_date,
            "country": body.country,
            "postcode": body.postcode.replace(" ", "").upper(),
            "open_until": body.open_until,
            "places_total": body.places_total,
            "crebo": body.crebo,
            "recognised": body.recognised,
            "recognition_checked_on": body.recognition_checked_on,
            "partner_school": body.partner_school,
            "language_required": body.language_required,
            "last_confirmed_at": now,
            "created_by": principal.sub,
            "created_at": now,
            "updated_at": now,
        },
    )
    uow.emit(
        OpportunityPublished(
            opportunity_id=opportunity_id,
            employer_id=employer_id,
            kind=body.kind,
            occupation=body.occupation,
            crebo=body.crebo,
            postcode_area=check_place(body.country, body.postcode),
            places_total=body.places_total,
            open_until=body.open_until,
            created_by_role=principal.role.value,
        ),
        subject=str(opportunity_id),
    )
    await saved_searches.check_opening(uow, await store.get(uow.conn, opportunity_id), now)
    return opportunity_id


def _check_skills(essential: list[str], optional: list[str]) -> None:
    both = set(essential) & set(optional)
    if both:
        raise Unprocessable(f"A skill is either essential or optional, not both: {', '.join(sorted(both))}.")


async def managed(uow: UnitOfWork, opportunity_id: uuid.UUID, principal: Principal) -> Any:
    """The opportunity, locked, when the caller may manage it; 404 otherwise."""
    row = await store.get(uow.conn, opportunity_id, for_update=True)
    if row is None or not may_manage(principal, row["employer_id"]):
        raise NotFound(f"There is no opportunity {opportunity_id} that you may manage.")
    return row


async def update(
    uow: UnitOfWork, opportunity_id: uuid.UUID, body: UpdateOpportunity, principal: Principal, now: datetime
) -> None:
    """Change an open opportunity; its capacity never drops below what is held and filled."""
    row = await managed(uow, opportunity_id, principal)
    if row["closed_at"] is not None:
        raise Conflict("This opportunity is closed; publish a new one instead.")
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    if "postcode" in changes and changes["postcode"] is not None:
        changes["postcode"] = changes["postcode"].replace(" ", "").upper()
    cleared = sorted(name for name in REQUIRED if name in changes and changes[name] is None)
    if cleared:
        raise Unprocessable(f"These cannot be empty: {', '.join(cleared)}.")
    merged = {**dict(row), **changes}
    try:
        check_opportunity(merged["kind"], merged["crebo"], merged["recognised"], merged["recognition_checked_on"])
        check_place(merged["country"], merged["postcode"])
    except ValueError as exc:
        raise Unprocessable(f"{exc}.") from None
    _check_skills(merged["essential_skills"], merged["optional_skills"])
    committed = row["places_held"] + row["places_filled"]
    if merged["places_total"] < committed:
        raise Conflict(
            f"{committed} places are held or filled; places_total cannot be lower. Withdraw proposals first."
        )
    await store.update(uow.conn, opportunity_id, changes, now)
    uow.emit(
        OpportunityUpdated(
            **ref(row),
            changed_fields=sorted(changes),
            places_total=merged["places_total"],
            open_until=merged["open_until"],
        ),
        subject=str(opportunity_id),
    )


async def confirm(uow: UnitOfWork, opportunity_id: uuid.UUID, principal: Principal, now: datetime) -> None:
    """Still open: the "still open?" question is answered, a stale opportunity is back in the suggestions."""
    row = await managed(uow, opportunity_id, principal)
    if row["closed_at"] is not None:
        raise Conflict("This opportunity is closed; publish a new one instead.")
    await store.confirm(uow.conn, opportunity_id, now)
    uow.emit(OpportunityConfirmed(**ref(row)), subject=str(opportunity_id))


async def close(uow: UnitOfWork, opportunity_id: uuid.UUID, principal: Principal, now: datetime) -> None:
    """No more suggestions or proposals; proposals still holding a place are withdrawn."""
    row = await managed(uow, opportunity_id, principal)
    if row["closed_at"] is not None:
        return
    for proposal in await proposals.holding_for(uow, opportunity_id):
        await proposals.withdraw_row(uow, proposal, WithdrawReason.OPPORTUNITY_CLOSED, by_role=principal.role, now=now)
    await store.close(uow.conn, opportunity_id, now)
    closed = await store.get(uow.conn, opportunity_id)
    assert closed is not None
    uow.emit(OpportunityClosed(**ref(row), places_filled=closed["places_filled"]), subject=str(opportunity_id))
