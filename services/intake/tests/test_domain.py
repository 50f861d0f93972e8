"""The pure rules of intake."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake import domain
from shared.events.contracts.intake import AgeGroup, ConsentPurpose, SizeClass, TargetGroup, TrajectoryStatus

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize("typed", ["12345678", "1234 5678", "12.34.56.78", " 12345678 "])
def test_kvk_numbers_are_eight_digits_as_people_type_them(typed: str) -> None:
    assert domain.normalise_kvk(typed) == "12345678"


@pytest.mark.parametrize("typed", ["1234567", "123456789", "1234567a", "", "NL12345678"])
def test_anything_but_eight_digits_is_not_a_kvk_number(typed: str) -> None:
    with pytest.raises(domain.RuleViolation, match="exactly 8 digits"):
        domain.normalise_kvk(typed)


@pytest.mark.parametrize(("typed", "stored"), [("6811 AB", "6811 AB"), ("6811ab", "6811 AB"), (" 1011 xz ", "1011 XZ")])
def test_postcodes_are_stored_as_four_digits_space_two_letters(typed: str, stored: str) -> None:
    assert domain.normalise_postcode(typed) == stored
    assert domain.postcode_area(stored) == stored[:4]


@pytest.mark.parametrize(
    "typed", ["0811 AB", "6811 A", "681 AB", "6811 SS", "6811 SA", "6811 SD", "6811-AB", "ABCD 12"]
)
def test_malformed_or_unissued_postcodes_are_refused(typed: str) -> None:
    with pytest.raises(domain.RuleViolation, match="not a Dutch postcode"):
        domain.normalise_postcode(typed)


@given(st.integers(min_value=1000, max_value=9999), st.sampled_from("ABCDEFGHJKLMNPRTUVWXYZ"), st.sampled_from("ABZ"))
def test_every_valid_postcode_keeps_its_four_digit_area(digits: int, first: str, second: str) -> None:
    postcode = domain.normalise_postcode(f"{digits}{first}{second}".lower())
    assert postcode == f"{digits} {first}{second}"
    assert domain.postcode_area(postcode) == str(digits)


def test_age_groups_change_on_the_birthday() -> None:
    assert domain.age_group(date(1998, 6, 16), TODAY) is AgeGroup.UNDER_27  # 26, birthday tomorrow
    assert domain.age_group(date(1998, 6, 15), TODAY) is AgeGroup.FROM_27_TO_44
    assert domain.age_group(date(1980, 6, 16), TODAY) is AgeGroup.FROM_27_TO_44
    assert domain.age_group(date(1980, 6, 15), TODAY) is AgeGroup.FROM_45
    assert domain.age_group(None, TODAY) is AgeGroup.UNKNOWN


ORDER = [AgeGroup.UNDER_27, AgeGroup.FROM_27_TO_44, AgeGroup.FROM_45]


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY), st.integers(min_value=0, max_value=20_000))
def test_an_older_person_is_never_in_a_younger_age_group(birth: date, days_older: int) -> None:
    older = birth - timedelta(days=days_older)
    assert ORDER.index(domain.age_group(older, TODAY)) >= ORDER.index(domain.age_group(birth, TODAY))


def test_birth_dates_must_be_plausible() -> None:
    assert domain.check_birth_date(date(1980, 1, 1), TODAY) == date(1980, 1, 1)
    with pytest.raises(domain.RuleViolation, match="younger than 14"):
        domain.check_birth_date(date(2020, 1, 1), TODAY)
    with pytest.raises(domain.RuleViolation, match="younger than 14"):
        domain.check_birth_date(TODAY + timedelta(days=1), TODAY)
    with pytest.raises(domain.RuleViolation, match="more than 120"):
        domain.check_birth_date(date(1890, 1, 1), TODAY)


@given(st.integers(min_value=0, max_value=1_000_000))
def test_size_class_is_mkb_below_250_employees(employees: int) -> None:
    assert (domain.size_class(employees) is SizeClass.MKB) == (employees < 250)


def test_a_negative_employee_count_is_refused() -> None:
    with pytest.raises(domain.RuleViolation, match="0 or more"):
        domain.size_class(-1)


@given(st.lists(st.tuples(st.sampled_from(list(TrajectoryStatus)), st.sampled_from([None, *domain.END_REASONS]))))
def test_trajectories_only_move_along_allowed_steps_and_ended_is_final(
    steps: list[tuple[TrajectoryStatus, str | None]],
) -> None:
    status = TrajectoryStatus.INTAKE
    for target, reason in steps:
        try:
            recorded = domain.check_transition(status, target, reason)
        except domain.RuleViolation:
            continue
        assert target in domain.TRANSITIONS[status]
        assert status is not TrajectoryStatus.ENDED
        assert (recorded is not None) == (target is TrajectoryStatus.ENDED)
        status = target


def test_ending_needs_a_reason_from_the_list_and_other_moves_take_none() -> None:
    with pytest.raises(domain.RuleViolation, match="needs a reason"):
        domain.check_transition(TrajectoryStatus.ACTIVE, TrajectoryStatus.ENDED, None)
    with pytest.raises(domain.RuleViolation, match="needs a reason"):
        domain.check_transition(TrajectoryStatus.ACTIVE, TrajectoryStatus.ENDED, "had a fight with the coach")
    with pytest.raises(domain.RuleViolation, match="only ending"):
        domain.check_transition(TrajectoryStatus.INTAKE, TrajectoryStatus.ACTIVE, "health")
    with pytest.raises(domain.RuleViolation, match="cannot move to placed"):
        domain.check_transition(TrajectoryStatus.INTAKE, TrajectoryStatus.PLACED, None)
    with pytest.raises(domain.RuleViolation, match="nothing: it is finished"):
        domain.check_transition(TrajectoryStatus.ENDED, TrajectoryStatus.ACTIVE, None)


def test_target_groups_are_shared_only_with_matching_or_reporting_consent() -> None:
    declared = [TargetGroup.WOMAN, TargetGroup.AGE_45_PLUS, TargetGroup.WOMAN]
    assert domain.shareable_target_groups(declared, {ConsentPurpose.COACHING, ConsentPurpose.EMAIL_CONTACT}) == []
    assert domain.shareable_target_groups(declared, {ConsentPurpose.MATCHING}) == [
        TargetGroup.AGE_45_PLUS,
        TargetGroup.WOMAN,
    ]
    assert domain.shareable_target_groups(declared, {ConsentPurpose.ANONYMOUS_REPORTING}) != []


@given(st.lists(st.text(max_size=20), max_size=20))
def test_cleaning_tags_is_idempotent_and_leaves_no_blanks_or_repeats(tags: list[str]) -> None:
    cleaned = domain.clean_tags(tags)
    assert domain.clean_tags(cleaned) == cleaned
    assert all(cleaned)
    assert len(set(cleaned)) == len(cleaned)


def test_small_counts_are_hidden_but_zero_and_larger_ones_shown() -> None:
    assert domain.suppress_small_counts({"a": 0, "b": 1, "c": 4, "d": 5, "e": 120}) == {
        "a": 0,
        "b": None,
        "c": None,
        "d": 5,
        "e": 120,
    }
