"""A programme's fixed rules, read once per process: its rules never change after creation."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.vouchers.db.programmes import get_categories, get_programme
from services.vouchers.domain import CategoryRule
from shared.db import Connection
from shared.errors import NotFound, Unprocessable
from shared.events.contracts.vouchers import AllocationMode


@dataclass(frozen=True)
class ProgrammeRules:
    """The parts of a programme that never change after creation (cached per process)."""

    id: uuid.UUID
    mode: AllocationMode
    opens_at: datetime
    closes_at: datetime
    redeem_by: datetime
    auto_approve: bool
    max_vouchers_per_person: int
    max_cents_per_person: int | None
    max_cents_per_person_per_year: int | None
    accredited_providers_only: bool
    attendance_threshold_pct: int
    below_threshold: str
    categories: Mapping[str, CategoryRule]


_RULES: dict[uuid.UUID, ProgrammeRules] = {}


_RULES_MAX = 1000


def known_rules(programme_id: uuid.UUID) -> ProgrammeRules | None:
    """A programme's rules if this process has read them already."""
    return _RULES.get(programme_id)


async def programme_rules(conn: Connection, programme_id: uuid.UUID) -> ProgrammeRules:
    """A programme's fixed rules; they never change, so they are read once per process."""
    cached = _RULES.get(programme_id)
    if cached is not None:
        return cached
    row = await get_programme(conn, programme_id)
    if row is None:
        raise NotFound(f"There is no programme {programme_id}; list them with GET /programmes.")
    categories = await get_categories(conn, programme_id)
    rules = ProgrammeRules(
        id=row["id"],
        mode=AllocationMode(row["mode"]),
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        redeem_by=row["redeem_by"],
        auto_approve=row["auto_approve"],
        max_vouchers_per_person=row["max_vouchers_per_person"],
        max_cents_per_person=row["max_cents_per_person"],
        max_cents_per_person_per_year=row["max_cents_per_person_per_year"],
        accredited_providers_only=row["accredited_providers_only"],
        attendance_threshold_pct=row["attendance_threshold_pct"],
        below_threshold=row["below_threshold"],
        categories={
            c["code"]: CategoryRule(c["code"], c["voucher_amount_cents"], frozenset(c["eligible_situations"]))
            for c in categories
        },
    )
    if len(_RULES) >= _RULES_MAX:
        _RULES.clear()
    _RULES[programme_id] = rules
    return rules


def category_rule(rules: ProgrammeRules, code: str) -> CategoryRule:
    """A category's rules; 422 naming the programme's categories if it has no such one."""
    rule = rules.categories.get(code)
    if rule is None:
        raise Unprocessable(
            f"The programme has no category {code!r}; choose one of: {', '.join(sorted(rules.categories))}."
        )
    return rule
