"""One realistic event of every type a notification rule names, for the tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from shared.events.contracts import intake, matching, notifications, vouchers
from shared.events.envelope import EventData

REDEEM_BY = datetime(2027, 6, 1, 10, 0, tzinfo=UTC)


def sample(key: str, *, participant_id: uuid.UUID | None = None, **overrides: object) -> EventData:
    """An event of type ``key`` about ``participant_id`` (a fresh one if not given)."""
    p = participant_id or uuid.uuid4()
    ref = {"application_id": uuid.uuid4(), "programme_id": uuid.uuid4(), "category": "zoek", "participant_id": p}
    voucher = {"voucher_id": uuid.uuid4(), "provider_id": uuid.uuid4()}
    proposal = {
        "proposal_id": uuid.uuid4(),
        "opportunity_id": uuid.uuid4(),
        "employer_id": uuid.uuid4(),
        "participant_id": p,
        "by_role": "coach",
    }
    opportunity = {
        "opportunity_id": uuid.uuid4(),
        "employer_id": uuid.uuid4(),
        "kind": matching.OpportunityKind.VACANCY,
    }
    made: dict[str, EventData] = {
        "intake.participant.registered.v1": intake.ParticipantRegistered(
            participant_id=p, coach_id="coach-anna", situation=intake.Situation.LOOKING_FOR_WORK
        ),
        "intake.participant.coach_assigned.v1": intake.ParticipantCoachAssigned(
            participant_id=p, coach_id="coach-anna", previous_coach_id="coach-bob"
        ),
        "intake.participant.trajectory_changed.v1": intake.ParticipantTrajectoryChanged(
            participant_id=p, previous=intake.TrajectoryStatus.ACTIVE, status=intake.TrajectoryStatus.PLACED
        ),
        "vouchers.application.waitlisted.v1": vouchers.ApplicationWaitlisted(**ref, draw_rank=12),
        "vouchers.application.rejected.v1": vouchers.ApplicationRejected(
            **ref, reason=vouchers.RejectionReason.INCOMPLETE, released_cents=150_000
        ),
        "vouchers.voucher.issued.v1": vouchers.VoucherIssued(
            **ref, **voucher, course_id=uuid.uuid4(), amount_cents=150_000, redeem_by=REDEEM_BY
        ),
        "vouchers.voucher.redeemed.v1": vouchers.VoucherRedeemed(
            **ref, **voucher, attendance_pct=70, completed=True, paid_cents=105_000, released_cents=45_000, partial=True
        ),
        "vouchers.voucher.claim_rejected.v1": vouchers.VoucherClaimRejected(
            **ref, **voucher, attendance_pct=40, completed=False, released_cents=150_000
        ),
        "vouchers.voucher.expired.v1": vouchers.VoucherExpired(**ref, voucher_id=uuid.uuid4(), released_cents=150_000),
        "matching.proposal.made.v1": matching.ProposalMade(
            **proposal, coach_id="coach-anna", score=74.9, weights_version="2026-12-01.1", hold_until=REDEEM_BY
        ),
        "matching.proposal.interested.v1": matching.ProposalInterested(**proposal, hold_until=REDEEM_BY),
        "matching.proposal.declined.v1": matching.ProposalDeclined(**proposal, reason=matching.DeclineReason.HOURS),
        "matching.proposal.placed.v1": matching.ProposalPlaced(
            **proposal, kind=matching.OpportunityKind.BBL, days_since_proposed=12
        ),
        "matching.opportunity.confirmation_requested.v1": matching.OpportunityConfirmationRequested(
            **opportunity, last_confirmed_at=REDEEM_BY, confirm_by=REDEEM_BY
        ),
        "matching.opportunity.went_stale.v1": matching.OpportunityWentStale(
            **opportunity, reason=next(iter(matching.StaleReason)), last_confirmed_at=REDEEM_BY
        ),
        "matching.saved_search.matched.v1": matching.SavedSearchMatched(
            **opportunity, search_id=uuid.uuid4(), coach_id="coach-anna", participant_id=p, occupation="welder"
        ),
        "notifications.dead_letters.waiting.v1": notifications.DeadLettersWaiting(
            waiting=3, consumers=[notifications.WaitingLetters(consumer="matching-intake", waiting=3)]
        ),
        "vouchers.budget.threshold_passed.v1": vouchers.BudgetThresholdPassed(
            programme_id=uuid.uuid4(),
            category="zoek",
            threshold_pct=80,
            used_pct=81,
            available_cents=1_900_000,
            budget_cents=10_000_000,
        ),
        "matching.fairness.flagged.v1": matching.FairnessFlagged(
            group="woman+age_45_plus",
            period="2026-05",
            people=14,
            metrics=["top10_share", "acceptance"],
            ratios={"top10_share": 0.61, "acceptance": 0.7},
            flag_below=0.8,
        ),
    }
    event = made[key]
    return event.model_copy(update=overrides) if overrides else event
