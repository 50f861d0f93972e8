"""The rules of intake, pure and free of I/O.

Validation of Dutch registry data (KvK numbers, postcodes), what is derived rather than typed
(age group, size class, postcode area), and how a guidance trajectory may move on.
"""

from __future__ import annotations

import re
from datetime import date

from shared.events.contracts.intake import AgeGroup, ConsentPurpose, SizeClass, TargetGroup, TrajectoryStatus

MKB_MAX_EMPLOYEES = 249
"""Fewer than 250 employees is MKB (the EU's SME threshold that Dutch programmes use)."""

OLDEST_AGE = 120
YOUNGEST_AGE = 14

# Four digits without a leading zero, then two letters; SA, SD and SS are never issued.
_POSTCODE = re.compile(r"^([1-9]\d{3})\s?([A-Za-z]{2})$")
_UNISSUED_LETTERS = {"SA", "SD", "SS"}
_KVK = re.compile(r"^\d{8}$")

TARGET_GROUP_CONSENTS = frozenset({ConsentPurpose.MATCHING, ConsentPurpose.ANONYMOUS_REPORTING})
"""Declared target groups may be kept, and travel in events, only under one of these consents."""

END_REASONS = frozenset(
    {
        "found_work_elsewhere",
        "moved_away",
        "no_longer_interested",
        "unreachable",
        "health",
        "started_education",
        "other",
    }
)
"""Why a trajectory ended: a fixed list, so no free text (and no personal detail) reaches events."""

TRANSITIONS: dict[TrajectoryStatus, frozenset[TrajectoryStatus]] = {
    TrajectoryStatus.INTAKE: frozenset({TrajectoryStatus.ACTIVE, TrajectoryStatus.ENDED}),
    TrajectoryStatus.ACTIVE: frozenset({TrajectoryStatus.PLACED, TrajectoryStatus.ENDED}),
    # A placement can fail in the first weeks; the person is then guided again.
    TrajectoryStatus.PLACED: frozenset({TrajectoryStatus.ACTIVE, TrajectoryStatus.ENDED}),
    TrajectoryStatus.ENDED: frozenset(),
}


class RuleViolation(ValueError):
    """Input that breaks a rule of the domain; the message is a sentence for the user."""


def normalise_kvk(value: str) -> str:
    """A KvK number as 8 digits; spaces and dots people type are dropped.

    KvK numbers carry no public check digit, so 8 digits is all that can be checked offline.
    """
    digits = re.sub(r"[\s.]", "", value)
    if not _KVK.fullmatch(digits):
        raise RuleViolation(f"{value!r} is not a KvK number; a KvK number has exactly 8 digits, such as 12345678")
    return digits


def normalise_postcode(value: str) -> str:
    """A Dutch postcode written as ``1234 AB``."""
    match = _POSTCODE.fullmatch(value.strip())
    if match is None or match.group(2).upper() in _UNISSUED_LETTERS:
        raise RuleViolation(f"{value!r} is not a Dutch postcode; write four digits and two letters, such as 6811 AB")
    return f"{match.group(1)} {match.group(2).upper()}"


def postcode_area(postcode: str | None) -> str | None:
    """The 4-digit area of a normalised postcode: coarse enough to travel in events."""
    return postcode[:4] if postcode else None


def age_on(birth_date: date, today: date) -> int:
    """Completed years of age on ``today``."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)


def check_birth_date(birth_date: date, today: date) -> date:
    """A plausible birth date for a participant (between 14 and 120 years ago)."""
    age = age_on(birth_date, today)
    if birth_date > today or age < YOUNGEST_AGE:
        raise RuleViolation(
            f"birth date {birth_date.isoformat()} makes the participant younger than {YOUNGEST_AGE}; check the date"
        )
    if age > OLDEST_AGE:
        raise RuleViolation(f"birth date {birth_date.isoformat()} is more than {OLDEST_AGE} years ago; check the date")
    return birth_date


def age_group(birth_date: date | None, today: date) -> AgeGroup:
    """The age band other services may know instead of the birth date."""
    if birth_date is None:
        return AgeGroup.UNKNOWN
    age = age_on(birth_date, today)
    if age < 27:
        return AgeGroup.UNDER_27
    if age < 45:
        return AgeGroup.FROM_27_TO_44
    return AgeGroup.FROM_45


def size_class(employee_count: int) -> SizeClass:
    """MKB below 250 employees, large from 250."""
    if employee_count < 0:
        raise RuleViolation(f"an employer cannot have {employee_count} employees; give 0 or more")
    return SizeClass.MKB if employee_count <= MKB_MAX_EMPLOYEES else SizeClass.LARGE


def check_transition(current: TrajectoryStatus, target: TrajectoryStatus, reason: str | None) -> str | None:
    """The reason to record when a trajectory moves from ``current`` to ``target``.

    Ending needs a reason from :data:`END_REASONS`; other moves take none.
    """
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "nothing: it is finished"
        raise RuleViolation(f"a trajectory in {current.value} cannot move to {target.value}; it can move to {allowed}")
    if target is TrajectoryStatus.ENDED:
        if reason not in END_REASONS:
            raise RuleViolation(f"ending a trajectory needs a reason, one of: {', '.join(sorted(END_REASONS))}")
        return reason
    if reason is not None:
        raise RuleViolation(f"only ending a trajectory takes a reason; leave it out when moving to {target.value}")
    return None


def shareable_target_groups(declared: list[TargetGroup], consents: set[ConsentPurpose]) -> list[TargetGroup]:
    """The declared target groups other services may learn: none without matching or reporting consent."""
    if consents & TARGET_GROUP_CONSENTS:
        return sorted(set(declared))
    return []


def clean_tags(values: list[str]) -> list[str]:
    """Skill and occupation tags: trimmed, lower-case, without blanks or repeats, in first-seen order."""
    seen: dict[str, None] = {}
    for value in values:
        tag = " ".join(value.split()).lower()
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


# Counts under this are not shown in aggregates: with a handful of people in a group, a count
# plus what an officer already knows can single a person out.
SMALL_COUNT = 5


def suppress_small_counts(counts: dict[str, int]) -> dict[str, int | None]:
    """Each count, or None where it is above zero but below :data:`SMALL_COUNT`."""
    return {key: (None if 0 < n < SMALL_COUNT else n) for key, n in counts.items()}
