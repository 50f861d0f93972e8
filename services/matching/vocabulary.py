"""The skills and occupations vocabulary (data/vocabulary.json): labels in nl/de/en, ESCO URIs, relations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from functools import cache
from importlib import resources
from typing import Any, Literal

Language = Literal["nl", "de", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "de", "en")


class Fit(Enum):
    """How an opportunity's occupation relates to one a candidate wants, best first."""

    EXACT = "exact"
    BROADER = "broader"
    RELATED = "related"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Skill:
    id: str
    esco: str
    labels: dict[str, str]


@dataclass(frozen=True, slots=True)
class Occupation:
    id: str
    sector: str
    esco: str
    labels: dict[str, str]
    broader: str | None
    related: frozenset[str]
    essential: tuple[str, ...]
    optional: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    skills: dict[str, Skill]
    occupations: dict[str, Occupation]

    def label(self, key: str, language: Language) -> str:
        """A skill's or occupation's label in ``language``."""
        entry = self.skills.get(key) or self.occupations[key]
        return entry.labels[language]

    def fit(self, wanted: str, offered: str) -> Fit:
        """Exact when the same; broader when one is the other's broader one; related when either names the other."""
        if wanted == offered:
            return Fit.EXACT
        w, o = self.occupations.get(wanted), self.occupations.get(offered)
        if w is None or o is None:
            return Fit.NONE
        if w.broader == offered or o.broader == wanted:
            return Fit.BROADER
        if offered in w.related or wanted in o.related:
            return Fit.RELATED
        return Fit.NONE


def parse(document: dict[str, Any]) -> Vocabulary:
    """Builds the vocabulary and checks that every reference resolves and every label exists."""
    skills = {s["id"]: Skill(s["id"], s["esco"], dict(s["labels"])) for s in document["skills"]}
    occupations = {
        o["id"]: Occupation(
            o["id"],
            o["sector"],
            o["esco"],
            dict(o["labels"]),
            o["broader"],
            frozenset(o["related"]),
            tuple(o["essential"]),
            tuple(o["optional"]),
        )
        for o in document["occupations"]
    }
    entries: list[Skill | Occupation] = [*skills.values(), *occupations.values()]
    for entry in entries:
        missing = [lang for lang in LANGUAGES if not entry.labels.get(lang)]
        if missing:
            raise ValueError(f"{entry.id} has no label in {missing}")
    for occ in occupations.values():
        for ref in [*occ.essential, *occ.optional]:
            if ref not in skills:
                raise ValueError(f"{occ.id} names unknown skill {ref}")
        for ref in [*occ.related, *([occ.broader] if occ.broader else [])]:
            if ref not in occupations:
                raise ValueError(f"{occ.id} names unknown occupation {ref}")
    return Vocabulary(skills, occupations)


@cache
def load() -> Vocabulary:
    """The shipped vocabulary, read once per process."""
    raw = resources.files("services.matching").joinpath("data/vocabulary.json").read_text(encoding="utf-8")
    return parse(json.loads(raw))
