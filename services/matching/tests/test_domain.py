"""Filters, scoring and explanations as pure functions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching import geo
from services.matching.domain import (
    WEIGHTS,
    Candidate,
    Evaluation,
    Facts,
    Filter,
    Kind,
    LanguageLevel,
    Opportunity,
    evaluate,
    for_candidate,
    for_opportunity,
    rank,
    score_parts,
)
from services.matching.explain import explain, why_not
from services.matching.tests.factories import TODAY, VOCAB, candidate, candidates, opportunities, opportunity
from services.matching.vocabulary import Fit
from shared.events.contracts.intake import TargetGroup


def run(c: Candidate | None = None, **opp: object) -> Evaluation:
    c = c or candidate()
    o = opportunity(**opp)
    return evaluate(c, o, VOCAB, geo.distance(c.area, o.area), TODAY)


def test_a_good_match_passes_every_filter_and_says_why() -> None:
    e = run()
    assert e.eligible
    assert [c.filter for c in e.checks] == list(Filter), "every filter is recorded by name"
    text = explain(e, VOCAB, "en")
    assert text.startswith("3 of 4 essential skills (missing: use measurement instruments)")
    assert "desired occupation: welder" in text
    assert "BBL place for crebo 90001 at a recognised company" in text
    assert re.search(r"; \d+ km;", text)
    assert "van 4 essentiële vaardigheden" in explain(e, VOCAB, "nl")
    assert "BBL-Platz" in explain(e, VOCAB, "de")


@pytest.mark.parametrize(
    ("cand", "opp", "failed"),
    [
        ({"matching_consent": False}, {}, Filter.CONSENT),
        ({}, {"closed": True}, Filter.OPEN),
        ({}, {"open_until": TODAY - dt.timedelta(days=1)}, Filter.OPEN),
        ({}, {"places_total": 2, "places_held": 1, "places_filled": 1}, Filter.CAPACITY),
        ({}, {"recognised_crebos": frozenset({"90002"})}, Filter.RECOGNISED),
        ({}, {"kind": Kind.INTERNSHIP, "crebo": None}, Filter.RECOGNISED),
        ({"travel_radius_km": 5.0}, {}, Filter.RADIUS),
        ({}, {"area": "NL-0000"}, Filter.RADIUS),
        ({"hours_max": 30}, {}, Filter.HOURS),
        ({"hours_min": 36}, {}, Filter.HOURS),
        ({"available_from": TODAY + dt.timedelta(days=90)}, {}, Filter.START),
    ],
)
def test_each_filter_fails_on_its_own_and_is_named(
    cand: dict[str, object], opp: dict[str, object], failed: Filter
) -> None:
    e = run(candidate(**cand), **opp)
    assert e.failed == (failed,)
    assert why_not(e, "en")


def test_a_vacancy_needs_no_recognised_learning_company() -> None:
    assert run(kind=Kind.VACANCY, crebo=None, recognised_crebos=frozenset()).eligible


def test_an_unknown_postcode_area_is_a_clear_miss_not_an_error() -> None:
    e = run(area="DE-00000")
    assert e.failed == (Filter.RADIUS,)
    assert e.facts.distance.km is None
    assert "distance unknown" in explain(e, VOCAB, "en")
    assert why_not(e, "en") == "outside the travel radius (? km, at most 40 km)"


def test_occupation_fit_orders_exact_before_broader_before_related() -> None:
    exact = run(occupation="welder").parts[2].points
    broader = run(occupation="pipe-welder").parts[2].points
    related = run(occupation="sheet-metal-worker").parts[2].points
    unrelated = run(occupation="carpenter").parts[2].points
    assert exact > broader > related > unrelated == 0


def test_more_skills_nearer_and_better_language_each_score_higher() -> None:
    base = run()
    assert run(candidate(skills=candidate().skills | {"measure-precision"})).score > base.score
    assert run(area="NL-6811").score > base.score
    assert run(candidate(language_level=LanguageLevel.A2)).score < base.score
    assert run(candidate(language_level=None)).score < base.score


def test_a_perfect_match_scores_the_sum_of_the_weights() -> None:
    occupation = VOCAB.occupations["welder"]
    c = candidate(skills=frozenset(occupation.essential + occupation.optional), area="NL-6511")
    e = run(c)
    assert e.score == pytest.approx(
        WEIGHTS.essential + WEIGHTS.optional + WEIGHTS.for_fit(Fit.EXACT) + WEIGHTS.distance + WEIGHTS.language
    )
    assert e.weights_version


def test_the_candidate_type_has_no_place_for_target_groups() -> None:
    names = {f.name for f in dataclasses.fields(Candidate)}
    forbidden = {"target_groups", "target_group", "gender", "sex", "age", "age_group", "origin", "nationality"}
    assert not names & forbidden
    assert not names & {g.value for g in TargetGroup}
    with pytest.raises(TypeError):
        Candidate(**{f.name: getattr(candidate(), f.name) for f in dataclasses.fields(Candidate)}, target_groups=())  # type: ignore[call-arg]
    with pytest.raises((AttributeError, TypeError)):
        candidate().target_groups = ("woman",)  # type: ignore[attr-defined]


@given(c=candidates(), groups=st.lists(st.sampled_from(list(TargetGroup))), o=opportunities())
def test_target_groups_cannot_change_a_score(c: Candidate, groups: list[TargetGroup], o: Opportunity) -> None:
    # The monitoring side keeps target groups beside the candidate; scoring only ever sees the candidate.
    profile = {"candidate": c, "target_groups": groups}
    d = geo.distance(c.area, o.area)
    with_groups = evaluate(profile["candidate"], o, VOCAB, d, TODAY)  # type: ignore[arg-type]
    without = evaluate(c, o, VOCAB, d, TODAY)
    assert with_groups == without


ESSENTIAL = re.compile(r"^(\d+) of (\d+) essential skills|^no essential skills asked")
OPTIONAL = re.compile(r"; (\d+) of (\d+) optional skills")
KM = re.compile(r"; (about )?(\d+) km")
LANGUAGE = re.compile(r"language level ([ABC][12]) \(asked ([ABC][12])\)")
FITS = {
    "desired occupation:": Fit.EXACT,
    "broader or narrower than desired occupation": Fit.BROADER,
    "related to desired occupation": Fit.RELATED,
    "other occupation:": Fit.NONE,
}


def score_from_text(text: str, radius_km: float) -> tuple[float, float]:
    """The score an English explanation implies, and how far whole-kilometre rounding may move it."""
    essential = ESSENTIAL.search(text)
    assert essential
    share = int(essential.group(1)) / int(essential.group(2)) if essential.group(2) else 1.0
    points = WEIGHTS.essential * share
    optional = OPTIONAL.search(text)
    points += WEIGHTS.optional * (int(optional.group(1)) / int(optional.group(2)) if optional else 1.0)
    (fit,) = [f for words, f in FITS.items() if words in text]
    points += WEIGHTS.for_fit(fit)
    km = KM.search(text)
    slack = 0.0
    if km:
        points += WEIGHTS.distance * max(0.0, 1 - int(km.group(2)) / radius_km)
        slack = WEIGHTS.distance * 0.5 / radius_km
    language = LANGUAGE.search(text)
    if language:
        points += WEIGHTS.language * min(1.0, LanguageLevel[language.group(1)] / LanguageLevel[language.group(2)])
    elif "language level unknown" not in text:
        points += WEIGHTS.language
    return points, slack + 0.01


@settings(max_examples=300)
@given(c=candidates(), o=opportunities())
def test_each_explanation_matches_its_score(c: Candidate, o: Opportunity) -> None:
    e = evaluate(c, o, VOCAB, geo.distance(c.area, o.area), TODAY)
    implied, slack = score_from_text(explain(e, VOCAB, "en"), c.travel_radius_km)
    assert abs(implied - e.score) <= slack
    for lang in ("nl", "de"):
        assert explain(e, VOCAB, lang)


@given(c=candidates(), o=opportunities())
def test_the_score_is_the_sum_of_its_parts_and_stays_within_0_and_100(c: Candidate, o: Opportunity) -> None:
    e = evaluate(c, o, VOCAB, geo.distance(c.area, o.area), TODAY)
    assert e.score == round(sum(p.points for p in score_parts(e.facts)), 2)
    assert 0 <= e.score <= 100


def test_rankings_give_the_best_first_and_the_three_nearest_misses_with_their_one_reason() -> None:
    c = candidate()
    opps = [opportunity(id=f"near-{i}", area="NL-6811") for i in range(12)]
    opps += [opportunity(id=f"closed-{i}", closed=True, area="NL-6811") for i in range(5)]
    opps += [opportunity(id="two-failures", closed=True, places_held=2)]
    ranking = for_candidate(c, opps, VOCAB, geo.distance, TODAY)
    assert len(ranking.suggestions) == 10
    assert [e.opportunity for e in ranking.suggestions] == sorted(f"near-{i}" for i in range(12))[:10]
    assert len(ranking.near_misses) == 3
    assert {why_not(e, "nl") for e in ranking.near_misses} == {"niet meer open"}
    people = [candidate(id=f"p{i}", travel_radius_km=5.0 + i) for i in range(30)]
    for_opp = for_opportunity(opportunity(), people, VOCAB, geo.distance, TODAY)
    assert all(e.eligible for e in for_opp.suggestions)
    assert [e.score for e in for_opp.suggestions] == sorted((e.score for e in for_opp.suggestions), reverse=True)
    assert all(e.failed == (Filter.RADIUS,) for e in for_opp.near_misses)


def test_rank_of_nothing_is_empty() -> None:
    assert rank([]).suggestions == ()


def test_facts_alone_determine_the_parts() -> None:
    facts = Facts(
        7,
        ("tig-welding", "read-technical-drawings"),
        0,
        0,
        Fit.RELATED,
        "welder",
        geo.Distance(12.0, False),
        24.0,
        None,
        None,
    )
    parts = dict((p.name, p.points) for p in score_parts(facts))
    assert parts == pytest.approx(
        {
            "essential": WEIGHTS.essential * 5 / 7,
            "optional": WEIGHTS.optional,
            "occupation": WEIGHTS.for_fit(Fit.RELATED),
            "distance": WEIGHTS.distance * 0.5,
            "language": WEIGHTS.language,
        }
    )


def test_a_distance_from_an_approximate_area_reads_about() -> None:
    approximate = next(k for k, p in geo.points().items() if p.approximate and k.startswith("NL-"))
    e = run(candidate(travel_radius_km=400.0), area=approximate)
    assert e.facts.distance.approximate
    assert re.search(r"; about \d+ km;", explain(e, VOCAB, "en"))
    assert re.search(r"; ongeveer \d+ km;", explain(e, VOCAB, "nl"))
    assert re.search(r"; etwa \d+ km;", explain(e, VOCAB, "de"))
