"""The vocabulary: labels in every language, ESCO URIs of the right form, relations that resolve."""

from __future__ import annotations

import re

import pytest

from services.matching.vocabulary import LANGUAGES, Fit, Occupation, Skill, load, parse

ESCO = re.compile(r"^http://data\.europa\.eu/esco/(occupation|skill)/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")


def test_every_entry_has_three_labels_and_a_well_formed_or_empty_esco_uri() -> None:
    vocab = load()
    assert len(vocab.skills) >= 60
    assert len(vocab.occupations) >= 40
    sectors = {o.sector for o in vocab.occupations.values()}
    assert sectors == {"installation", "electrical", "metal", "mobility", "construction", "process", "teaching"}
    entries: list[Skill | Occupation] = [*vocab.skills.values(), *vocab.occupations.values()]
    for entry in entries:
        assert all(entry.labels[lang] for lang in LANGUAGES)
        assert entry.esco == "" or ESCO.match(entry.esco), entry.id
    assert all("/skill/" in s.esco for s in vocab.skills.values() if s.esco)
    assert all("/occupation/" in o.esco for o in vocab.occupations.values() if o.esco)
    uris = [e.esco for e in entries if e.esco]
    assert len(uris) == len(set(uris)), "no two entries claim the same ESCO concept"


def test_every_occupation_has_essential_skills() -> None:
    assert all(o.essential for o in load().occupations.values())


def test_fit_is_exact_broader_related_or_none_in_both_directions() -> None:
    vocab = load()
    assert vocab.fit("welder", "welder") is Fit.EXACT
    assert vocab.fit("welder", "pipe-welder") is Fit.BROADER
    assert vocab.fit("pipe-welder", "welder") is Fit.BROADER
    assert vocab.fit("welder", "sheet-metal-worker") is Fit.RELATED
    assert vocab.fit("sheet-metal-worker", "welder") is Fit.RELATED
    assert vocab.fit("welder", "carpenter") is Fit.NONE
    assert vocab.fit("welder", "no-such-occupation") is Fit.NONE


def test_a_broken_reference_or_missing_label_is_refused() -> None:
    skill = {"id": "s", "esco": "", "labels": {"nl": "a", "de": "b", "en": "c"}}
    occupation = {
        "id": "o",
        "sector": "metal",
        "esco": "",
        "labels": {"nl": "a", "de": "b", "en": "c"},
        "broader": None,
        "related": [],
        "essential": ["s"],
        "optional": [],
    }
    assert parse({"skills": [skill], "occupations": [occupation]}).label("o", "de") == "b"
    with pytest.raises(ValueError, match="unknown skill"):
        parse({"skills": [], "occupations": [occupation]})
    with pytest.raises(ValueError, match="unknown occupation"):
        parse({"skills": [skill], "occupations": [{**occupation, "related": ["x"]}]})
    with pytest.raises(ValueError, match="no label"):
        parse({"skills": [{**skill, "labels": {"nl": "a", "en": "c"}}], "occupations": []})
