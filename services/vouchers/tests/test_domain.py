"""The pure rules: payout by attendance, thresholds, eligibility, signals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.vouchers.domain import (
    CategoryRule,
    ClaimOutcome,
    Grant,
    Ineligible,
    check_eligibility,
    payout,
    signals,
    threshold_level,
    thresholds_to_announce,
)


@given(
    amount=st.integers(1, 10**7),
    attendance=st.integers(0, 100),
    completed=st.booleans(),
    threshold=st.integers(0, 100),
    policy=st.sampled_from(["reject", "partial"]),
)
def test_payout_never_pays_more_than_the_voucher_and_never_loses_a_cent(
    amount: int, attendance: int, completed: bool, threshold: int, policy: str
) -> None:
    result = payout(amount, attendance, completed, threshold, policy)
    assert result.paid_cents + result.released_cents == amount
    assert 0 <= result.paid_cents <= amount
    if attendance >= threshold and completed:
        assert result.outcome is ClaimOutcome.FULL
    elif policy == "reject":
        assert result.paid_cents == 0


def test_partial_pay_is_the_attendance_share_rounded_down() -> None:
    assert payout(99_999, 50, False, 80, "partial").paid_cents == 49_999


def test_thresholds_fire_once_each_and_100_means_no_full_voucher_left() -> None:
    assert threshold_level(1000, 500, 100) == 0
    assert threshold_level(1000, 200, 100) == 80
    assert threshold_level(1000, 100, 100) == 90
    assert threshold_level(1000, 99, 100) == 100
    assert thresholds_to_announce(0, 100) == [80, 90, 100]
    assert thresholds_to_announce(90, 100) == [100]
    assert thresholds_to_announce(100, 100) == []


def test_eligibility_explains_what_is_wrong() -> None:
    rule = CategoryRule("zzp_techniek", 100_000, frozenset({"self_employed_in_tech"}))
    with pytest.raises(Ineligible, match="situation"):
        check_eligibility(rule, "working_in_tech", 100_000, 100_000)
    with pytest.raises(Ineligible, match="voucher amount"):
        check_eligibility(rule, "self_employed_in_tech", 100_001, 200_000)
    with pytest.raises(Ineligible, match="price"):
        check_eligibility(rule, "self_employed_in_tech", 60_000, 50_000)
    check_eligibility(rule, "self_employed_in_tech", 50_000, 50_000)
    with pytest.raises(Ineligible, match="costs nothing"):
        check_eligibility(rule, "self_employed_in_tech", 0, 0)


def test_signals_flag_money_concentrated_on_one_provider_and_employer_deadweight() -> None:
    grants = [
        Grant(
            "c",
            "employer",
            "large",
            "provider-a" if i < 25 else f"p{i}",
            "course-1" if i < 25 else f"c{i}",
            (),
            1000,
            True,
        )
        for i in range(40)
    ]
    found = signals(grants)
    assert found.employer_submitted_pct == 100.0
    assert found.top_providers[0].key == "provider-a"
    assert any("provider provider-a" in a for a in found.alerts)
    assert any("course course-1" in a for a in found.alerts)
    assert any("deadweight" in a for a in found.alerts)


def test_target_groups_with_fewer_than_five_people_are_not_shown() -> None:
    grants = [
        Grant(
            "c",
            "participant",
            None,
            "p",
            "c",
            ("woman",) if i < 6 else ("refugee_with_permit",) if i < 9 else (),
            1000,
            True,
        )
        for i in range(20)
    ]
    shown = {s.key: (s.applications, s.cents) for s in signals(grants).by_target_group}
    assert shown == {"none_declared": (11, 11_000), "woman": (6, 6000), "refugee_with_permit": (None, None)}
