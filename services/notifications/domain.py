"""Who hears what: the notification rules, as data.

Each rule names an event (its catalogue key), the audience it reaches, the channels it uses, the
category a person can set preferences for, the template of the sentence and the page it links
to. A new event becomes a notification by adding a row to :data:`RULES` and its sentence to
each language's file in ``templates/``.

Email reaches participants only: their address is the one contact detail Regionet knows, and
intake hands it out at send time only while they consent to contact by email. Staff and
organisations read the feed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from shared.events.contracts import intake, matching, notifications, vouchers

# Regionet's regions are on Central European time: dates in messages, quiet hours and the
# daily digest are read on this clock.
TIMEZONE = ZoneInfo("Europe/Amsterdam")
# When the daily digest goes out, local time (later if it falls in the reader's quiet hours).
DIGEST_AT = time(8, 0)


class Audience(StrEnum):
    """Whom a rule reaches, and how their accounts are found."""

    # The accounts acting for the participant named by the event's participant_id.
    PARTICIPANT = "participant"
    # The coach named by the event's coach_id (a coach's account id).
    COACH = "coach"
    # The coach of the participant named by the event (from intake's caseload events).
    CASELOAD_COACH = "caseload_coach"
    # The accounts of the provider named by the event's provider_id.
    PROVIDER = "provider"
    # The accounts of the employer named by the event's employer_id.
    EMPLOYER = "employer"
    # Every active programme officer of the region.
    PROGRAMME_OFFICERS = "programme_officers"


class Channel(StrEnum):
    """Where a notification goes."""

    FEED = "feed"
    EMAIL = "email"


class Category(StrEnum):
    """What a notification is about; people choose per category and channel what they receive."""

    CASELOAD = "caseload"
    VOUCHERS = "vouchers"
    CLAIMS = "claims"
    BUDGETS = "budgets"
    PLACEMENTS = "placements"
    MATCHING = "matching"
    WEBHOOKS = "webhooks"
    OPERATIONS = "operations"


@dataclass(frozen=True)
class Rule:
    """One event reaching one audience over some channels."""

    event: str
    audience: Audience
    channels: tuple[Channel, ...]
    category: Category
    # The template's name in templates/<language>.yaml.
    template: str
    # The page of the web UI (services/matching/web) it concerns, for this rule's audience: a
    # path filled with the event's fields. Emails prefix it with the web UI's address.
    link: str
    # The event field naming what the notification is about (erasure removes by it).
    subject: str = "participant_id"
    # Only when the event's field has this value, e.g. ("status", "placed").
    only_if: tuple[str, str] | None = None
    # Why this message is sent even to someone who opted out of its channel (a key of the
    # templates' reasons, said in the message); None: preferences apply.
    must_send: str | None = None

    @property
    def name(self) -> str:
        """The rule's stable name: template and audience."""
        return f"{self.template}/{self.audience.value}"

    def applies_to(self, data: Mapping[str, Any]) -> bool:
        """True when the event's data passes the rule's condition."""
        if self.only_if is None:
            return True
        field, value = self.only_if
        return str(data.get(field)) == value

    def link_for(self, data: Mapping[str, Any]) -> str:
        """The path of the page the notification concerns."""
        return self.link.format_map(data)

    def subject_of(self, data: Mapping[str, Any]) -> str:
        """The id of what the notification is about."""
        return str(data[self.subject])


FEED = (Channel.FEED,)
FEED_AND_EMAIL = (Channel.FEED, Channel.EMAIL)
DECISION = "decision"

# Where each audience reads about a thing: a coach on the candidate's page; a participant on
# their route (their trajectory, the proposals made for them, applications and vouchers); a
# provider on the vouchers for its courses; what no page shows (a disabled webhook) in the feed.
CANDIDATE = "/coach/candidates/{participant_id}"
MY_ROUTE = "/me"
COURSE_VOUCHERS = "/provider"
OWN_FEED = "/notifications"

RULES: tuple[Rule, ...] = (
    Rule(
        intake.ParticipantRegistered.spec.key,
        Audience.COACH,
        FEED,
        Category.CASELOAD,
        "participant_joined",
        CANDIDATE,
    ),
    Rule(
        intake.ParticipantCoachAssigned.spec.key,
        Audience.COACH,
        FEED,
        Category.CASELOAD,
        "participant_handed_over",
        CANDIDATE,
    ),
    Rule(
        intake.ParticipantTrajectoryChanged.spec.key,
        Audience.PARTICIPANT,
        FEED_AND_EMAIL,
        Category.PLACEMENTS,
        "placed",
        MY_ROUTE,
        only_if=("status", "placed"),
    ),
    Rule(
        vouchers.ApplicationWaitlisted.spec.key,
        Audience.PARTICIPANT,
        FEED_AND_EMAIL,
        Category.VOUCHERS,
        "application_waitlisted",
        MY_ROUTE,
    ),
    Rule(
        vouchers.ApplicationRejected.spec.key,
        Audience.PARTICIPANT,
        FEED_AND_EMAIL,
        Category.VOUCHERS,
        "application_rejected",
        MY_ROUTE,
        must_send=DECISION,
    ),
    Rule(
        vouchers.ApplicationRejected.spec.key,
        Audience.CASELOAD_COACH,
        FEED,
        Category.VOUCHERS,
        "caseload_application_rejected",
        CANDIDATE,
    ),
    Rule(
        vouchers.VoucherIssued.spec.key,
        Audience.PARTICIPANT,
        FEED_AND_EMAIL,
        Category.VOUCHERS,
        "voucher_issued",
        MY_ROUTE,
        must_send=DECISION,
    ),
    Rule(
        vouchers.VoucherIssued.spec.key,
        Audience.CASELOAD_COACH,
        FEED,
        Category.VOUCHERS,
        "caseload_voucher_issued",
        CANDIDATE,
    ),
    Rule(
        vouchers.VoucherIssued.spec.key,
        Audience.PROVIDER,
        FEED,
        Category.VOUCHERS,
        "course_voucher_issued",
        COURSE_VOUCHERS,
    ),
    Rule(
        vouchers.VoucherRedeemed.spec.key,
        Audience.PROVIDER,
        FEED,
        Category.CLAIMS,
        "claim_accepted",
        COURSE_VOUCHERS,
    ),
    Rule(
        vouchers.VoucherClaimRejected.spec.key,
        Audience.PROVIDER,
        FEED,
        Category.CLAIMS,
        "claim_rejected",
        COURSE_VOUCHERS,
    ),
    Rule(
        vouchers.VoucherExpired.spec.key,
        Audience.PARTICIPANT,
        FEED_AND_EMAIL,
        Category.VOUCHERS,
        "voucher_expired",
        MY_ROUTE,
    ),
    Rule(
        matching.ProposalMade.spec.key,
        Audience.EMPLOYER,
        FEED,
        Category.MATCHING,
        "proposal_received",
        "/employer/proposals",
    ),
    Rule(
        matching.ProposalMade.spec.key,
        Audience.PARTICIPANT,
        FEED_AND_EMAIL,
        Category.MATCHING,
        "proposal_made",
        MY_ROUTE,
    ),
    Rule(
        matching.ProposalInterested.spec.key,
        Audience.CASELOAD_COACH,
        FEED,
        Category.MATCHING,
        "proposal_interested",
        CANDIDATE,
    ),
    Rule(
        matching.ProposalDeclined.spec.key,
        Audience.CASELOAD_COACH,
        FEED,
        Category.MATCHING,
        "proposal_declined",
        CANDIDATE,
    ),
    Rule(
        matching.ProposalPlaced.spec.key,
        Audience.CASELOAD_COACH,
        FEED,
        Category.MATCHING,
        "proposal_placed",
        CANDIDATE,
    ),
    Rule(
        matching.SavedSearchMatched.spec.key,
        Audience.COACH,
        FEED,
        Category.MATCHING,
        "saved_search_matched",
        "/coach/opportunities/{opportunity_id}",
        subject="search_id",
    ),
    Rule(
        matching.OpportunityConfirmationRequested.spec.key,
        Audience.EMPLOYER,
        FEED,
        Category.MATCHING,
        "opportunity_still_open",
        "/employer",
        subject="opportunity_id",
    ),
    Rule(
        matching.OpportunityWentStale.spec.key,
        Audience.EMPLOYER,
        FEED,
        Category.MATCHING,
        "opportunity_went_stale",
        "/employer",
        subject="opportunity_id",
    ),
    Rule(
        vouchers.BudgetThresholdPassed.spec.key,
        Audience.PROGRAMME_OFFICERS,
        FEED,
        Category.BUDGETS,
        "budget_threshold",
        "/officer",
        subject="programme_id",
    ),
    Rule(
        matching.FairnessFlagged.spec.key,
        Audience.PROGRAMME_OFFICERS,
        FEED,
        Category.MATCHING,
        "fairness_flagged",
        "/officer/plan",
        subject="group",
    ),
    Rule(
        notifications.DeadLettersWaiting.spec.key,
        Audience.PROGRAMME_OFFICERS,
        FEED,
        Category.OPERATIONS,
        "dead_letters_waiting",
        "/officer",
        subject="stream",
    ),
)


RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}


_RULES_BY_EVENT: dict[str, tuple[Rule, ...]] = {
    key: tuple(r for r in RULES if r.event == key) for key in dict.fromkeys(r.event for r in RULES)
}


def rules_for(event_key: str) -> tuple[Rule, ...]:
    """The rules an event of this type triggers."""
    return _RULES_BY_EVENT.get(event_key, ())


def events_with_rules() -> tuple[str, ...]:
    """Every event type some rule listens to, in the order of the table."""
    return tuple(dict.fromkeys(r.event for r in RULES))


@dataclass(frozen=True)
class Preferences:
    """What one account wants: categories opted out of per channel, a daily digest, quiet hours."""

    opted_out: Mapping[str, frozenset[str]] = field(default_factory=dict)
    email_digest: bool = False
    quiet_from: time | None = None
    quiet_until: time | None = None

    def wants(self, rule: Rule, channel: Channel) -> bool:
        """True unless the account opted out of the rule's category on this channel (a must-send rule ignores that)."""
        return rule.must_send is not None or rule.category.value not in self.opted_out.get(channel.value, frozenset())

    def digests(self, rule: Rule) -> bool:
        """True when the rule's email waits for the daily digest (never a must-send one)."""
        return self.email_digest and rule.must_send is None

    def email_due(self, rule: Rule, now: datetime) -> datetime:
        """When an email of this rule may go out: now, or at the digest, and never in quiet hours."""
        due = next_local(now, DIGEST_AT) if self.digests(rule) else now
        return self.after_quiet_hours(due)

    def after_quiet_hours(self, moment: datetime) -> datetime:
        """``moment``, or the end of the quiet hours it falls in."""
        if self.quiet_from is None or self.quiet_until is None:
            return moment
        local = moment.astimezone(TIMEZONE)
        clock = local.time()
        start, end = self.quiet_from, self.quiet_until
        inside = start <= clock < end if start < end else clock >= start or clock < end
        if not inside:
            return moment
        return next_local(moment, end)


def next_local(moment: datetime, at: time) -> datetime:
    """The first time after ``moment`` that the clock in the region shows ``at``."""
    local = moment.astimezone(TIMEZONE)
    candidate = datetime.combine(local.date(), at, tzinfo=TIMEZONE)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=TIMEZONE)
    return candidate.astimezone(UTC)


def always_sent() -> list[tuple[str, str, str]]:
    """The rules that ignore opt-outs and the digest: (event, audience, the reason's key)."""
    return [(r.event, r.audience.value, r.must_send) for r in RULES if r.must_send is not None]
