"""The match flow: proposing a candidate, each step after, and the holds on places.

A proposal holds one place of its opportunity from the moment it is made (a conditional update
that never lets holds and placements exceed the capacity) until it is declined, withdrawn or
expires, or until the candidate is placed, which turns the hold into a filled place. Each step
forward renews the hold; the housekeeping loop expires holds that ran out.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from services.matching import geo
from services.matching.access import may_see_candidate, may_see_proposal
from services.matching.db import candidates as candidate_store
from services.matching.db import opportunities as opportunity_store
from services.matching.db import proposals as store
from services.matching.domain import HOLDING, evaluate, may_move, next_retention
from services.matching.explain import explain, why_not
from services.matching.snapshot import candidate_of, opportunity_of
from services.matching.vocabulary import LANGUAGES, load
from shared.auth import Principal, Role
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound, Unprocessable
from shared.events.contracts.matching import (
    DeclineReason,
    EndReason,
    OpportunityKind,
    ProposalDeclined,
    ProposalEnded,
    ProposalExpired,
    ProposalInterested,
    ProposalInterviewPlanned,
    ProposalMade,
    ProposalPlaced,
    ProposalRetained,
    ProposalWithdrawn,
    WithdrawReason,
)


def ref(row: Any, by_role: str) -> dict[str, Any]:
    """What every proposal event says about it."""
    return {
        "proposal_id": row["id"],
        "opportunity_id": row["opportunity_id"],
        "employer_id": row["employer_id"],
        "participant_id": row["participant_id"],
        "by_role": by_role,
    }


async def propose(
    uow: UnitOfWork,
    participant_id: uuid.UUID,
    opportunity_id: uuid.UUID,
    principal: Principal,
    now: datetime,
    hold: timedelta,
) -> uuid.UUID:
    """Propose a coach's candidate for an opportunity that passes every filter; the place is held for ``hold``."""
    candidate = await candidate_store.get(uow.conn, participant_id, for_update=True)
    if candidate is None or not may_see_candidate(principal, candidate):
        raise NotFound(f"There is no candidate {participant_id} in your caseload.")
    opportunity = await opportunity_store.get(uow.conn, opportunity_id, for_update=True)
    if opportunity is None:
        raise NotFound(f"There is no opportunity {opportunity_id}.")
    vocab = load()
    c, o = candidate_of(candidate, vocab), opportunity_of(opportunity)
    evaluation = evaluate(c, o, vocab, geo.distance(c.area, o.area), now.date())
    if not evaluation.eligible:
        reasons = "; ".join(why_not(_one(evaluation, f), "en") for f in evaluation.failed)
        raise Unprocessable(f"This opportunity does not pass every filter for this candidate: {reasons}.")
    if not await opportunity_store.hold_place(uow.conn, opportunity_id):
        raise Conflict("No place of this opportunity is free any more.")
    proposal_id = uuid.uuid4()
    hold_until = now + hold
    inserted = await store.insert(
        uow.conn,
        proposal_id,
        opportunity_id=opportunity_id,
        employer_id=opportunity["employer_id"],
        participant_id=participant_id,
        coach_id=candidate["coach_id"],
        proposed_by=principal.sub,
        hold_until=hold_until,
        score=evaluation.score,
        weights_version=evaluation.weights_version,
        explanation={lang: explain(evaluation, vocab, lang) for lang in LANGUAGES},
        now=now,
    )
    if not inserted:
        raise Conflict("This candidate already has an open proposal for this opportunity.")
    await store.add_step(uow.conn, proposal_id, "proposed", reason=None, by_role=principal.role.value, at=now)
    row = await store.get(uow.conn, proposal_id)
    uow.emit(
        ProposalMade(
            **ref(row, principal.role.value),
            coach_id=candidate["coach_id"],
            score=evaluation.score,
            weights_version=evaluation.weights_version,
            hold_until=hold_until,
        ),
        subject=str(proposal_id),
    )
    return proposal_id


def _one(evaluation: Any, failed: Any) -> Any:
    """The evaluation as if ``failed`` were its only failed filter (so ``why_not`` can word it)."""
    checks = tuple(c for c in evaluation.checks if c.passed or c.filter is failed)
    return replace(evaluation, checks=checks)


async def _moving(uow: UnitOfWork, proposal_id: uuid.UUID, principal: Principal, to: str) -> Any:
    """The proposal, locked, when the caller may take the step ``to``; 404 or 409 otherwise."""
    row = await store.get(uow.conn, proposal_id, for_update=True)
    if row is None or not may_see_proposal(principal, row) or principal.role is Role.PROGRAMME_OFFICER:
        raise NotFound(f"There is no proposal {proposal_id} that you may answer; list yours with GET /proposals.")
    if not may_move(row["status"], to):
        raise Conflict(f"A proposal that is {row['status']} cannot become {to}.")
    return row


async def _record(
    uow: UnitOfWork,
    row: Any,
    to: str,
    *,
    by_role: str,
    now: datetime,
    hold_until: datetime | None = None,
    reason: str | None = None,
    months: int | None = None,
) -> None:
    holds = to in HOLDING
    if row["holds_place"] and not holds:
        if to == "placed":
            await opportunity_store.fill_place(uow.conn, row["opportunity_id"])
        else:
            await opportunity_store.release_place(uow.conn, row["opportunity_id"])
    if to == "ended":
        await opportunity_store.vacate_place(uow.conn, row["opportunity_id"])
    await store.set_status(
        uow.conn,
        row["id"],
        status=to,
        holds_place=holds,
        hold_until=hold_until if holds else None,
        reason=reason,
        retained_months=months,
        now=now,
    )
    await store.add_step(uow.conn, row["id"], to, reason=reason, by_role=by_role, at=now)


async def interested(
    uow: UnitOfWork, proposal_id: uuid.UUID, principal: Principal, now: datetime, hold: timedelta
) -> None:
    """The employer is interested; the hold is renewed."""
    row = await _moving(uow, proposal_id, principal, "interested")
    await _record(uow, row, "interested", by_role=principal.role.value, now=now, hold_until=now + hold)
    uow.emit(ProposalInterested(**ref(row, principal.role.value), hold_until=now + hold), subject=str(proposal_id))


async def interview(
    uow: UnitOfWork, proposal_id: uuid.UUID, principal: Principal, now: datetime, hold: timedelta
) -> None:
    """An interview is planned; the hold is renewed."""
    row = await _moving(uow, proposal_id, principal, "interview")
    await _record(uow, row, "interview", by_role=principal.role.value, now=now, hold_until=now + hold)
    uow.emit(
        ProposalInterviewPlanned(**ref(row, principal.role.value), hold_until=now + hold), subject=str(proposal_id)
    )


async def decline(
    uow: UnitOfWork, proposal_id: uuid.UUID, reason: DeclineReason, principal: Principal, now: datetime
) -> None:
    """Declined with a reason code; the place is free again."""
    row = await _moving(uow, proposal_id, principal, "declined")
    await _record(uow, row, "declined", by_role=principal.role.value, now=now, reason=reason.value)
    uow.emit(ProposalDeclined(**ref(row, principal.role.value), reason=reason), subject=str(proposal_id))


async def place(uow: UnitOfWork, proposal_id: uuid.UUID, principal: Principal, now: datetime) -> None:
    """The candidate started: the held place is filled."""
    row = await _moving(uow, proposal_id, principal, "placed")
    opportunity = await opportunity_store.get(uow.conn, row["opportunity_id"])
    assert opportunity is not None
    await _record(uow, row, "placed", by_role=principal.role.value, now=now)
    uow.emit(
        ProposalPlaced(
            **ref(row, principal.role.value),
            kind=OpportunityKind(opportunity["kind"]),
            days_since_proposed=max(0, (now - row["created_at"]).days),
        ),
        subject=str(proposal_id),
    )


async def retained(uow: UnitOfWork, proposal_id: uuid.UUID, months: int, principal: Principal, now: datetime) -> None:
    """The placed candidate is still there after ``months`` (3, then 6, then 12)."""
    row = await _moving(uow, proposal_id, principal, "retained")
    expected = next_retention(row["retained_months"])
    if months != expected:
        said = "no further check" if expected is None else f"the {expected}-month check"
        raise Conflict(f"This placement is due for {said}, not the {months}-month one.")
    await _record(uow, row, "retained", by_role=principal.role.value, now=now, months=months)
    uow.emit(ProposalRetained(**ref(row, principal.role.value), months=months), subject=str(proposal_id))


async def end(uow: UnitOfWork, proposal_id: uuid.UUID, reason: EndReason, principal: Principal, now: datetime) -> None:
    """The placement ended; the place is free again."""
    row = await _moving(uow, proposal_id, principal, "ended")
    await _record(uow, row, "ended", by_role=principal.role.value, now=now, reason=reason.value)
    uow.emit(ProposalEnded(**ref(row, principal.role.value), reason=reason), subject=str(proposal_id))


async def withdraw(
    uow: UnitOfWork, proposal_id: uuid.UUID, reason: WithdrawReason, principal: Principal, now: datetime
) -> None:
    """The coach (or an administrator) withdraws the proposal; the place is free again. Employers decline instead."""
    if principal.role is Role.EMPLOYER:
        raise NotFound(f"There is no proposal {proposal_id} that you may withdraw; decline it instead.")
    row = await _moving(uow, proposal_id, principal, "withdrawn")
    await withdraw_row(uow, row, reason, by_role=principal.role, now=now)


async def withdraw_row(uow: UnitOfWork, row: Any, reason: WithdrawReason, *, by_role: str, now: datetime) -> None:
    """Withdraw a locked proposal that still holds a place."""
    await _record(uow, row, "withdrawn", by_role=by_role, now=now, reason=reason.value)
    uow.emit(ProposalWithdrawn(**ref(row, by_role), reason=reason), subject=str(row["id"]))


async def holding_for(uow: UnitOfWork, opportunity_id: uuid.UUID) -> list[Any]:
    """The proposals holding a place of an opportunity, locked."""
    return list(await store.holding_for(uow.conn, opportunity_id))


async def expire_row(uow: UnitOfWork, row: Any, now: datetime) -> None:
    """A locked proposal whose hold ran out: the place is free again."""
    await _record(uow, row, "expired", by_role="deadline", now=now)
    uow.emit(ProposalExpired(**ref(row, "deadline"), held_since=row["created_at"]), subject=str(row["id"]))


async def withdraw_all_of(uow: UnitOfWork, participant_id: uuid.UUID, reason: WithdrawReason, now: datetime) -> None:
    """Every proposal of a person that still holds a place is withdrawn (consent withdrawn, erasure)."""
    for row in await store.open_of_participant(uow.conn, participant_id):
        await withdraw_row(uow, row, reason, by_role="intake", now=now)
