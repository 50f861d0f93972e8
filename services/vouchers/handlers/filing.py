"""Filing applications: the hot path of the opening rush.

An application is checked in Python (window, who may apply for whom, the read model's
participant, course and employer, eligibility) and then filed by one SQL function call that
claims the Idempotency-Key, enforces the per-person limits, reserves money first come first
served, and writes the application, the ledger entry and the events, all in one transaction.

Both database steps go through an :class:`ApplicationDesk`, which groups concurrent requests
(:class:`shared.db.batching.Batcher`): the read-model look-ups of many applications in one
query, and the filings of many in one call, still decided one by one in arrival order. A quiet
system files each application alone, at once.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.vouchers.db.applications import get_application
from services.vouchers.db.filing import ApplyOutcome, Filing, FilingEvent, file_applications, get_idempotent
from services.vouchers.db.read_model import applicant_contexts
from services.vouchers.domain import Ineligible, Status, check_eligibility, check_window, threshold_level
from services.vouchers.handlers.applications import Row, application_ref
from services.vouchers.handlers.commands import ApplyCommand
from services.vouchers.handlers.rules import ProgrammeRules, category_rule, known_rules, programme_rules
from services.vouchers.handlers.thresholds import announce_thresholds_now
from shared.db import Connection
from shared.db.batching import Batcher
from shared.db.uow import UnitOfWorkFactory, current_traceparent
from shared.errors import Conflict, Forbidden, Unprocessable
from shared.events.contracts.vouchers import (
    AllocationMode,
    ApplicationApproved,
    ApplicationSubmitted,
    ApplicationWaitlisted,
    SubmittedBy,
    VoucherIssued,
)
from shared.events.envelope import Envelope, EventData
from shared.service import Runtime

# Applications gathered into one look-up and one filing at most; more wait for the next group.
MAX_GROUP = 64


@dataclass(frozen=True)
class Applicant:
    """Who files an application."""

    role: SubmittedBy
    sub: str
    party: str


class ApplicationDesk:
    """Where a service process files applications: grouped look-ups and grouped filings on one pool.

    Filings run one group at a time, so within a process applications to a category are
    decided strictly in the order they arrived and never wait on each other's row locks;
    look-ups only read, two groups at a time.
    """

    def __init__(self, pool: asyncpg.Pool, *, max_group: int = MAX_GROUP) -> None:
        self.pool = pool
        self.lookups: Batcher[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None], asyncpg.Record] = Batcher(
            self._look_up, max_size=max_group, max_in_flight=2
        )
        self.filings: Batcher[Filing, ApplyOutcome] = Batcher(self._file, max_size=max_group, max_in_flight=1)

    async def rules(self, programme_id: uuid.UUID) -> ProgrammeRules:
        """A programme's fixed rules (read once per process)."""
        rules = known_rules(programme_id)
        if rules is not None:
            return rules
        async with self.pool.acquire() as conn:
            return await programme_rules(conn, programme_id)

    async def _look_up(self, wanted: Sequence[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]]) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            return await applicant_contexts(conn, wanted)

    async def _file(self, filings: Sequence[Filing]) -> list[ApplyOutcome]:
        async with self.pool.acquire() as conn:
            return await file_applications(conn, filings)


def desk_of(runtime: Runtime) -> ApplicationDesk:
    """The process's application desk (made on first use)."""
    desk = runtime.extensions.get("vouchers.desk")
    if not isinstance(desk, ApplicationDesk):
        desk = runtime.extensions["vouchers.desk"] = ApplicationDesk(runtime.pool)
    return desk


def request_hash(programme_id: uuid.UUID, cmd: ApplyCommand) -> str:
    """What an Idempotency-Key is bound to: the programme and the request body."""
    body = json.dumps({"programme": str(programme_id), **cmd.model_dump(mode="json")}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def application_view(row: Row, *, first_answer: bool = False) -> dict[str, Any]:
    """An application as the API shows it; ``first_answer`` shows it as it was when submitted."""
    view = dict(row)
    if first_answer:
        view.update(status=row["initial_status"], reserved=row["initial_reserved"], paid_cents=0, reason=None)
        view.update(draw_rank=None, officer_note=None)
        if row["initial_status"] != Status.VOUCHER_ISSUED.value:
            view["voucher_id"] = None
    return view


async def _replay(conn: Connection, principal: str, key: str, digest: str) -> dict[str, Any]:
    stored = await get_idempotent(conn, principal, key)
    if stored is None:
        raise RuntimeError("an Idempotency-Key taken by a filing is not stored")
    if stored["request_hash"] != digest:
        raise Unprocessable(
            "This Idempotency-Key was already used for a different request; use a new key for a new application."
        )
    if stored["found"] is None:
        raise Conflict(LIMIT_MESSAGE)
    row = await get_application(conn, stored["application_id"])
    if row is None:
        raise RuntimeError("the application of a stored Idempotency-Key is missing")
    return application_view(row, first_answer=True)


LIMIT_MESSAGE = (
    "The participant already holds as many applications or as much money as a person may, in this programme"
    " or (where the programme has a yearly cap) in all programmes this year; cancel an open application first."
)


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _who(applicant: Applicant, cmd: ApplyCommand) -> tuple[uuid.UUID, uuid.UUID | None]:
    """The participant the voucher is for and the employer applying, as far as the token allows."""
    participant_id = cmd.participant_id
    employer_id: uuid.UUID | None = None
    if applicant.role is SubmittedBy.PARTICIPANT:
        own = _uuid_or_none(applicant.party)
        if participant_id is None:
            participant_id = own
        if own is None or participant_id != own:
            raise Forbidden("A participant can only apply for themselves; leave participant_id out or use your own.")
    elif participant_id is None:
        raise Unprocessable("Name the participant the voucher is for in participant_id.")
    if applicant.role is SubmittedBy.EMPLOYER:
        employer_id = _uuid_or_none(applicant.party)
        if employer_id is None:
            raise Forbidden("Your account does not act for an employer; ask an administrator to fix it.")
    return participant_id, employer_id


async def apply(
    desk: ApplicationDesk,
    uows: UnitOfWorkFactory,
    *,
    programme_id: uuid.UUID,
    cmd: ApplyCommand,
    applicant: Applicant,
    idempotency_key: str | None,
    now: datetime,
) -> tuple[dict[str, Any], bool]:
    """File an application: checks first, then the filing reserves (first come, first served) or queues it.

    Returns the application as first answered and whether it was created now (False: a resend).
    A resend is recognised by the filing (its key is taken), not by a look-up first: that saves
    a round trip on every first request, which is nearly all of them.
    """
    digest = request_hash(programme_id, cmd)
    rules = await desk.rules(programme_id)
    rule = category_rule(rules, cmd.category)
    try:
        check_window(now, rules.opens_at, rules.closes_at)
    except Ineligible as exc:
        raise Conflict(str(exc)) from exc
    participant_id, employer_id = _who(applicant, cmd)

    ctx = await desk.lookups.submit((participant_id, cmd.course_id, employer_id))
    if ctx["participant_id"] is None:
        raise Unprocessable(
            f"Participant {participant_id} is not known to vouchers; register them at intake first"
            " (it takes a moment to arrive here)."
        )
    if applicant.role is SubmittedBy.COACH and ctx["coach_id"] != applicant.sub:
        raise Forbidden("A coach can only apply for participants in their own caseload.")
    if ctx["course_id"] is None:
        raise Unprocessable(f"Course {cmd.course_id} is not known; the provider must publish it at intake first.")
    if rules.accredited_providers_only and not ctx["provider_accredited"]:
        raise Unprocessable(
            f"This programme pays only for courses of accredited providers, and the provider of course"
            f" {cmd.course_id} is not accredited; choose a course of an accredited provider."
        )
    if employer_id is not None and ctx["employer_id"] is None:
        raise Unprocessable(f"Employer {employer_id} is not known; register the company at intake first.")
    if employer_id is not None and not ctx["employer_linked"]:
        raise Forbidden(
            f"An employer applies only for its own employees or for people who consented to share with it;"
            f" participant {participant_id} is neither for your company (recorded at intake)."
        )
    amount = cmd.amount_cents or min(int(ctx["price_cents"]), rule.voucher_amount_cents)
    try:
        check_eligibility(rule, ctx["situation"], amount, int(ctx["price_cents"]))
    except Ineligible as exc:
        raise Unprocessable(str(exc)) from exc

    fcfs = rules.mode is AllocationMode.FIRST_COME_FIRST_SERVED
    reserved_status = Status.VOUCHER_ISSUED if rules.auto_approve else Status.SUBMITTED
    unreserved_status = Status.WAITLISTED if fcfs else Status.SUBMITTED
    voucher_id = uuid.uuid4()
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "programme_id": programme_id,
        "category": cmd.category,
        "participant_id": participant_id,
        "course_id": cmd.course_id,
        "provider_id": ctx["provider_id"],
        "amount_cents": amount,
        "submitted_by_role": applicant.role.value,
        "submitted_by": applicant.sub,
        "employer_id": employer_id,
        "employer_size": ctx["size_class"],
        "target_groups": list(ctx["target_groups"]),
    }
    events = _apply_events(rules, row, region=uows.region, fcfs=fcfs, voucher_id=voucher_id, coach=ctx["coach_id"])
    outcome = await desk.filings.submit(
        Filing(
            principal=applicant.sub,
            idempotency_key=idempotency_key,
            request_hash=digest,
            id=row["id"],
            programme_id=programme_id,
            participant_id=participant_id,
            amount_cents=amount,
            max_vouchers_per_person=rules.max_vouchers_per_person,
            max_cents_per_person=rules.max_cents_per_person,
            max_cents_per_person_per_year=rules.max_cents_per_person_per_year,
            category=cmd.category,
            first_come_first_served=fcfs,
            course_id=cmd.course_id,
            provider_id=ctx["provider_id"],
            submitted_by_role=applicant.role.value,
            employer_id=employer_id,
            employer_size=ctx["size_class"],
            target_groups=row["target_groups"],
            voucher_id=voucher_id,
            reserved_status=reserved_status.value,
            unreserved_status=unreserved_status.value,
            at=now,
            events=[FilingEvent(e.id, e.nats_subject, e.to_bytes(), when) for e, when in events],
        )
    )
    if not outcome.known:
        raise Unprocessable(f"Participant {participant_id} is not known to vouchers (any more).")
    if not outcome.fresh:
        if idempotency_key is None:
            raise RuntimeError("a filing without an Idempotency-Key cannot be a resend")
        async with desk.pool.acquire() as conn:
            return await _replay(conn, applicant.sub, idempotency_key, digest), False
    if not outcome.within_limits:
        raise Conflict(LIMIT_MESSAGE)
    money = outcome.reserved
    status = reserved_status if money is not None else unreserved_status
    if (
        money is not None
        and threshold_level(money.budget_cents, money.available_cents, money.voucher_amount_cents) > money.alerted_pct
    ):
        await announce_thresholds_now(uows, programme_id, cmd.category)
    view = {
        **row,
        "status": status.value,
        "initial_status": status.value,
        "reserved": money is not None,
        "voucher_id": voucher_id if status is Status.VOUCHER_ISSUED else None,
        "submitted_at": now,
        "reason": None,
        "officer_note": None,
        "paid_cents": 0,
        "draw_rank": None,
    }
    return view, True


def _apply_events(
    rules: ProgrammeRules,
    row: Row,
    *,
    region: str,
    fcfs: bool,
    voucher_id: uuid.UUID,
    coach: str | None,
) -> list[tuple[Envelope, bool]]:
    """The events of both outcomes, each tagged with the outcome (money reserved or not) it belongs to.

    The filing writes these envelopes to the outbox itself, in its one statement, instead of
    through a UnitOfWork.
    """
    traceparent = current_traceparent.get()
    subject = str(row["id"])
    ref = application_ref(row)

    def wrap(data: EventData, when_reserved: bool, about: str = subject) -> tuple[Envelope, bool]:
        return Envelope.wrap(data, region=region, subject=about, traceparent=traceparent), when_reserved

    def submitted(reserved: bool) -> ApplicationSubmitted:
        return ApplicationSubmitted(
            **ref,
            course_id=row["course_id"],
            provider_id=row["provider_id"],
            amount_cents=row["amount_cents"],
            submitted_by=SubmittedBy(row["submitted_by_role"]),
            employer_id=row["employer_id"],
            coach_id=coach,
            reserved=reserved,
        )

    events = [wrap(submitted(True), True)]
    if rules.auto_approve:
        events.append(wrap(ApplicationApproved(**ref, approved_by="auto"), True))
        issued = VoucherIssued(
            **ref,
            voucher_id=voucher_id,
            course_id=row["course_id"],
            provider_id=row["provider_id"],
            amount_cents=row["amount_cents"],
            redeem_by=rules.redeem_by,
        )
        events.append(wrap(issued, True, str(voucher_id)))
    events.append(wrap(submitted(False), False))
    if fcfs:
        events.append(wrap(ApplicationWaitlisted(**ref), False))
    return events
