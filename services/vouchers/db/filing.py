"""Filing applications in groups with the SQL function ``apply_batch`` (``migrations/R_functions.sql``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import asyncpg

from services.vouchers.db.money import Money
from shared.db import Connection


@dataclass(frozen=True)
class ApplyOutcome:
    """What filing one application did."""

    known: bool  # False: the participant was erased after the look-up; nothing was filed
    fresh: bool
    within_limits: bool
    reserved: Money | None


class FilingEvent(NamedTuple):
    """An event of one outcome of a filing: the ``filing_event`` type of ``R_functions.sql``."""

    id: uuid.UUID
    subject: str
    payload: bytes
    when_reserved: bool  # belongs to the outcome "money reserved"


class Filing(NamedTuple):
    """One application, checked and ready to be filed by ``apply_batch``: the ``filing`` type of
    ``R_functions.sql``, field for field."""

    principal: str
    idempotency_key: str | None
    request_hash: str
    id: uuid.UUID
    programme_id: uuid.UUID
    participant_id: uuid.UUID
    amount_cents: int
    max_vouchers_per_person: int
    max_cents_per_person: int | None
    max_cents_per_person_per_year: int | None
    category: str
    first_come_first_served: bool
    course_id: uuid.UUID
    provider_id: uuid.UUID
    submitted_by_role: str
    employer_id: uuid.UUID | None
    employer_size: str | None
    target_groups: Sequence[str]
    voucher_id: uuid.UUID
    reserved_status: str
    unreserved_status: str
    at: datetime
    events: Sequence[FilingEvent]  # of both outcomes; the filing keeps those of the one that happened


async def file_applications(conn: Connection, filings: Sequence[Filing]) -> list[ApplyOutcome]:
    """File applications with one call of ``apply_batch`` (``R_functions.sql``), one transaction; one outcome
    each, in order.

    Applications to the same category are decided in the order given. The group is sorted by
    (programme, category) first, so two groups running at once (from two processes) take the
    category rows in the same order and wait for each other instead of deadlocking. Rows of one
    person (holdings, the yearly sum, the participant) are taken item by item, so two groups
    with the same two people in opposite order can still deadlock; Postgres breaks that after
    ``deadlock_timeout`` and the Batcher retries the failed group one application at a time.
    """
    order = sorted(range(len(filings)), key=lambda k: (filings[k].programme_id, filings[k].category))
    rows = await conn.fetch("SELECT * FROM apply_batch($1::filing[])", [filings[k] for k in order])
    outcomes: list[ApplyOutcome | None] = [None] * len(filings)
    for row in rows:
        outcomes[order[row["n"] - 1]] = ApplyOutcome(
            known=row["known"],
            fresh=row["fresh"],
            within_limits=row["held"],
            reserved=Money.of(row) if row["budget_cents"] is not None else None,
        )
    if any(o is None for o in outcomes):
        raise RuntimeError("apply_batch did not answer for every application")
    return [o for o in outcomes if o is not None]


async def get_idempotent(conn: Connection, principal: str, key: str) -> asyncpg.Record | None:
    """A stored Idempotency-Key with the application it created (if any)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT k.request_hash, k.application_id, a.id AS found FROM idempotency_keys k"
        " LEFT JOIN applications a ON a.id = k.application_id WHERE k.principal = $1 AND k.key = $2",
        principal,
        key,
    )
    return row
