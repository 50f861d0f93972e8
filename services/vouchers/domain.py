"""The rules of vouchers, pure and without I/O: eligibility, limits, payout, thresholds, signals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.events.contracts.intake import Situation

THRESHOLDS_PCT = (80, 90, 100)

# The largest budgets Regionet takes: far above any real programme, far below what a bigint holds,
# so that no sum of them can overflow.
MAX_CATEGORY_BUDGET_CENTS = 10**13
MAX_PROGRAMME_BUDGET_CENTS = 10**14


class Status(StrEnum):
    """Where an application (and the voucher it becomes) stands."""

    SUBMITTED = "submitted"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"
    VOUCHER_ISSUED = "voucher_issued"
    REDEEMED = "redeemed"
    CLAIM_REJECTED = "claim_rejected"
    SETTLED = "settled"
    CLAWED_BACK = "clawed_back"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True)
class CategoryRule:
    """One category's rules: its voucher amount and who may apply."""

    code: str
    voucher_amount_cents: int
    eligible_situations: frozenset[str]


@dataclass(frozen=True)
class CategoryTemplate:
    """A category as a programme officer would set it up."""

    code: str
    name: str
    eligible_situations: tuple[Situation, ...]


# The four categories of Leve(n)lang Gelders Vakmanschap, as a starting point for new programmes.
GELDERLAND_CATEGORIES: tuple[CategoryTemplate, ...] = (
    CategoryTemplate("zoek_werk_techniek", "Ik zoek werk in de techniek", (Situation.LOOKING_FOR_WORK,)),
    CategoryTemplate("werk_in_techniek", "Ik werk in de techniek", (Situation.WORKING_IN_TECH,)),
    CategoryTemplate("werk_buiten_techniek", "Ik werk buiten de techniek", (Situation.WORKING_OUTSIDE_TECH,)),
    CategoryTemplate("zzp_techniek", "Ik ben zzp'er in de techniek", (Situation.SELF_EMPLOYED_IN_TECH,)),
)


class Ineligible(Exception):
    """An application breaks a rule of its programme; the message says which and what to do."""


def check_window(now: datetime, opens_at: datetime, closes_at: datetime) -> None:
    """Applications are only taken while the programme's window is open."""
    if now < opens_at:
        raise Ineligible(f"The programme opens for applications at {opens_at.isoformat()}; apply after that.")
    if now >= closes_at:
        raise Ineligible(f"The programme closed for applications at {closes_at.isoformat()}.")


def check_eligibility(rule: CategoryRule, situation: str, amount_cents: int, course_price_cents: int) -> None:
    """The participant's situation fits the category and the amount fits both the voucher and the course."""
    if situation not in rule.eligible_situations:
        allowed = ", ".join(sorted(rule.eligible_situations))
        raise Ineligible(
            f"Category {rule.code!r} is for people whose situation is {allowed}; this participant's situation is"
            f" {situation}. Choose the category that fits the participant's situation."
        )
    if amount_cents < 1:
        raise Ineligible("The course costs nothing, so there is nothing for a voucher to pay; choose a paid course.")
    if amount_cents > rule.voucher_amount_cents:
        raise Ineligible(
            f"The amount {amount_cents} cents is more than the category's voucher amount of"
            f" {rule.voucher_amount_cents} cents; ask for at most that."
        )
    if amount_cents > course_price_cents:
        raise Ineligible(
            f"The amount {amount_cents} cents is more than the course's price of {course_price_cents} cents;"
            " ask for at most the price."
        )


class ClaimOutcome(StrEnum):
    """What becomes of a provider's claim."""

    FULL = "full"
    PARTIAL = "partial"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Payout:
    """How a voucher's reserved amount splits between the provider and the category budget."""

    outcome: ClaimOutcome
    paid_cents: int
    released_cents: int


def payout(amount_cents: int, attendance_pct: int, completed: bool, threshold_pct: int, policy: str) -> Payout:
    """Pay in full at or above the attendance threshold with completion; otherwise reject or pay pro rata.

    Partial pay is the attendance share of the amount, rounded down to whole cents, so the
    paid and released parts always add up to the amount.
    """
    if not 0 <= attendance_pct <= 100:
        raise ValueError("attendance must be a percentage from 0 to 100")
    if attendance_pct >= threshold_pct and completed:
        return Payout(ClaimOutcome.FULL, amount_cents, 0)
    if policy == "partial" and attendance_pct > 0:
        paid = amount_cents * attendance_pct // 100
        return Payout(ClaimOutcome.PARTIAL, paid, amount_cents - paid)
    return Payout(ClaimOutcome.REJECTED, 0, amount_cents)


def used_pct(budget_cents: int, available_cents: int) -> int:
    """Share of the budget reserved or spent, in whole percent (rounded down)."""
    if budget_cents <= 0:
        return 100
    return (budget_cents - available_cents) * 100 // budget_cents


def threshold_level(budget_cents: int, available_cents: int, voucher_amount_cents: int) -> int:
    """The highest threshold passed: 0, 80, 90 or 100 (cannot fund another full voucher)."""
    if budget_cents > 0 and available_cents < voucher_amount_cents:
        return 100
    pct = used_pct(budget_cents, available_cents)
    passed = [t for t in THRESHOLDS_PCT[:-1] if pct >= t]
    return passed[-1] if passed else 0


def thresholds_to_announce(already_announced: int, level: int) -> list[int]:
    """The thresholds between what was announced and the level now reached, in order."""
    return [t for t in THRESHOLDS_PCT if already_announced < t <= level]


@dataclass(frozen=True)
class Grant:
    """One application's money, as the signals see it."""

    category: str
    submitted_by: str
    employer_size: str | None
    provider_id: str
    course_id: str
    target_groups: Sequence[str]
    amount_cents: int
    funded: bool


@dataclass(frozen=True)
class Share:
    """A part of a whole: count and money (None where too few people are behind it to show)."""

    key: str
    applications: int | None
    cents: int | None
    share_pct: float | None


# Groups of people smaller than this are not shown in target-group figures: with one to four
# people behind a number, the number says something about those people.
SMALL_GROUP = 5


def too_few(people: int) -> bool:
    """One to four people: too few to show a figure about them."""
    return 0 < people < SMALL_GROUP


def _hide_small_groups(shares: list[Share]) -> list[Share]:
    return [Share(s.key, None, None, None) if too_few(s.applications or 0) else s for s in shares]


def _shares(items: Iterable[tuple[str, int]], total_count: int, total_cents: int) -> list[Share]:
    counts: Counter[str] = Counter()
    cents: Counter[str] = Counter()
    for key, amount in items:
        counts[key] += 1
        cents[key] += amount
    return [
        Share(key, counts[key], cents[key], round(100 * cents[key] / total_cents, 1) if total_cents else 0.0)
        for key in sorted(counts, key=lambda k: (-cents[k], k))
    ]


@dataclass(frozen=True)
class Signals:
    """What programme officers watch for: deadweight, MKB reach, concentration (STAP's fraud pattern)."""

    applications: int
    funded_cents: int
    employer_submitted_pct: float
    by_submitter: list[Share]
    by_employer_size: list[Share]
    by_target_group: list[Share]
    top_providers: list[Share]
    top_courses: list[Share]
    provider_hhi: int
    alerts: list[str]


# A provider holding more than this share of the money, or a course more than the next, is flagged.
PROVIDER_ALERT_PCT = 30.0
COURSE_ALERT_PCT = 20.0
EMPLOYER_ALERT_PCT = 50.0
MIN_APPLICATIONS_FOR_ALERTS = 20


def signals(grants: Sequence[Grant], top: int = 5) -> Signals:
    """Shares and alerts over a set of applications; money counts funded applications only."""
    funded = [g for g in grants if g.funded]
    total_cents = sum(g.amount_cents for g in funded)
    n = len(grants)
    by_submitter = _shares(((g.submitted_by, g.amount_cents if g.funded else 0) for g in grants), n, total_cents)
    employer = [g for g in grants if g.submitted_by == "employer"]
    employer_pct = round(100 * len(employer) / n, 1) if n else 0.0
    by_size = _shares(
        ((g.employer_size or "unknown", g.amount_cents if g.funded else 0) for g in employer),
        len(employer),
        total_cents,
    )
    by_group = _hide_small_groups(
        _shares(
            ((tg, g.amount_cents if g.funded else 0) for g in grants for tg in (g.target_groups or ["none_declared"])),
            n,
            total_cents,
        )
    )
    providers = _shares(((g.provider_id, g.amount_cents) for g in funded), len(funded), total_cents)
    courses = _shares(((g.course_id, g.amount_cents) for g in funded), len(funded), total_cents)
    hhi = round(sum((p.share_pct or 0.0) ** 2 for p in providers))
    alerts: list[str] = []
    if len(funded) >= MIN_APPLICATIONS_FOR_ALERTS:
        if providers and (providers[0].share_pct or 0.0) > PROVIDER_ALERT_PCT:
            alerts.append(f"provider {providers[0].key} holds {providers[0].share_pct}% of the money")
        if courses and (courses[0].share_pct or 0.0) > COURSE_ALERT_PCT:
            alerts.append(f"course {courses[0].key} holds {courses[0].share_pct}% of the money")
    if n >= MIN_APPLICATIONS_FOR_ALERTS and employer_pct > EMPLOYER_ALERT_PCT:
        alerts.append(f"{employer_pct}% of applications come from employers: check for deadweight")
    return Signals(
        applications=n,
        funded_cents=total_cents,
        employer_submitted_pct=employer_pct,
        by_submitter=by_submitter,
        by_employer_size=by_size,
        by_target_group=by_group,
        top_providers=providers[:top],
        top_courses=courses[:top],
        provider_hhi=hhi,
        alerts=alerts,
    )
