"""The web UI's words in Dutch, German and English, and which language a reader gets.

Every visible string of a page comes from :data:`MESSAGES` (merged from ``messages/``); a test
checks that each key exists in all three languages. A reader's language is, in order: the one they picked (``?lang=`` is
remembered in a cookie), their account's, their browser's (``Accept-Language``), Dutch.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency

from services.matching.web import messages as _areas

LANGUAGES = ("nl", "de", "en")
DEFAULT = "nl"
LANGUAGE_NAMES = {"nl": "Nederlands", "de": "Deutsch", "en": "English"}
# How each language writes amounts and dates (Babel's locales).
LOCALES = {"nl": "nl_NL", "de": "de_DE", "en": "en_GB"}
# Times and days are shown on the region's clock, as notifications writes them in its sentences.
TIMEZONE = ZoneInfo("Europe/Amsterdam")


def _merge() -> dict[str, dict[str, str]]:
    """Every area's words by language; a key defined by two areas is a mistake caught at import."""
    merged: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    for area in sorted(info.name for info in pkgutil.iter_modules(_areas.__path__)):
        words: Mapping[str, Mapping[str, str]] = importlib.import_module(f"{_areas.__name__}.{area}").MESSAGES
        for language in LANGUAGES:
            clash = merged[language].keys() & words.get(language, {}).keys()
            if clash:
                raise RuntimeError(f"web messages of {area!r} define {sorted(clash)} again")
            merged[language].update(words.get(language, {}))
    return merged


MESSAGES: Mapping[str, Mapping[str, str]] = _merge()


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages the browser asks for, by its weights (``de-DE;q=0.9, en;q=0.8``)."""
    if not header:
        return None
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        wanted.append((-weight, position, tag.strip().lower().split("-")[0]))
    for _, _, language in sorted(wanted):
        if language in LANGUAGES:
            return language
    return None


def choose(*candidates: str | None) -> str:
    """The first candidate that is one of our languages; Dutch otherwise."""
    for candidate in candidates:
        if candidate in LANGUAGES:
            return str(candidate)
    return DEFAULT


def translator(language: str) -> Mapping[str, str]:
    """The messages of ``language``."""
    return MESSAGES[language]


def money(cents: int, language: str) -> str:
    """An amount in euros as the reader writes it: € 1.500,00 (nl), 1.500,00 € (de), €1,500.00 (en)."""
    return format_currency(Decimal(cents) / 100, "EUR", locale=LOCALES[language])


def day(moment: date | datetime, language: str) -> str:
    """The day a moment falls on, on the region's clock (or a calendar day), written out: 1 juni 2027, 1. Juni 2027,
    1 June 2027."""
    on = moment.astimezone(TIMEZONE).date() if isinstance(moment, datetime) else moment
    return format_date(on, format="long", locale=LOCALES[language])
