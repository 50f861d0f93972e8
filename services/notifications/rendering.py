"""Sentences and emails in the reader's language: Jinja2 templates, Babel for dates and money.

Each language has one file, ``templates/<language>.yaml``: the subject line and sentence of
every rule's template, plus the words around them (greeting, why someone receives a message).
Sentences are plain text; the HTML part of an email escapes them like any other value. A
template that names a field the event does not have fails loudly (``StrictUndefined``): a
message with a hole in it is worse than none, and the tests render every template in every
language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from babel.dates import format_date
from babel.numbers import format_currency, format_percent
from jinja2 import Environment, StrictUndefined, Template, select_autoescape

from services.notifications.domain import TIMEZONE, Rule

Language = Literal["nl", "de", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "de", "en")
DEFAULT_LANGUAGE: Language = "nl"
LOCALES: dict[Language, str] = {"nl": "nl_NL", "de": "de_DE", "en": "en_GB"}

_TEMPLATES = resources.files("services.notifications") / "templates"


def language_of(value: str | None) -> Language:
    """A language Regionet writes in: the account's own, else Dutch."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Message:
    """One notification as its reader sees it."""

    subject: str
    text: str
    link: str


@dataclass(frozen=True)
class Email:
    """An email's subject and its two bodies."""

    subject: str
    text: str
    html: str


@cache
def _catalogue(language: Language) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((_TEMPLATES / f"{language}.yaml").read_text(encoding="utf-8"))
    return loaded


# Babel's formatting is most of a sentence's cost, and amounts and dates repeat (a programme has
# a few voucher amounts and one redemption deadline): each is formatted once per locale.
@lru_cache(maxsize=8192)
def _format_money(cents: int, locale: str) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale=locale)


def _format_day(value: str | datetime | date, locale: str) -> str:
    # Timestamps differ from event to event while the days they fall on repeat: the day is the cache key.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(TIMEZONE).date()
    return _format_date(value, locale)


@lru_cache(maxsize=8192)
def _format_date(value: date, locale: str) -> str:
    return format_date(value, format="long", locale=locale)


@lru_cache(maxsize=1024)
def _format_percent(value: int, locale: str) -> str:
    return format_percent(Decimal(value) / 100, locale=locale)


@cache
def _environment(language: Language, *, html: bool) -> Environment:
    catalogue = _catalogue(language)
    locale = LOCALES[language]
    # The text environment renders plain text (sentences, subject lines, the text part), which
    # nothing reads as HTML; the HTML part is rendered by the escaping one.
    env = Environment(
        undefined=StrictUndefined,
        autoescape=select_autoescape(default=True) if html else False,  # noqa: S701
    )
    # Templates use their values and filters, never Jinja's globals (range, dict, cycler, …);
    # without them each render skips merging the globals into its context, which took half of it.
    env.globals.clear()
    env.filters["money"] = lambda cents: _format_money(cents, locale)
    env.filters["date"] = lambda value: _format_day(value, locale)
    env.filters["percent"] = lambda value: _format_percent(value, locale)
    env.filters["situation"] = lambda value: catalogue["situations"][value]
    env.filters["rejection"] = lambda value: catalogue["rejections"][value]
    env.filters["decline"] = lambda value: catalogue["declines"][value]
    return env


@cache
def _compiled(language: Language, source: str, *, html: bool) -> Template:
    # Compiling a template costs far more than rendering it: each is compiled once per process.
    return _environment(language, html=html).from_string(source)


def _text(language: Language, source: str, values: Mapping[str, Any]) -> str:
    return _compiled(language, source, html=False).render(values)


def message(rule: Rule, data: Mapping[str, Any], language: Language) -> Message:
    """The sentence a rule says about an event's data, in one language, its subject line and the link."""
    template = _catalogue(language)["messages"][rule.template]
    return Message(
        subject=_text(language, template["subject"], data),
        text=sentence(rule, data, language),
        link=rule.link_for(data),
    )


def sentence(rule: Rule, data: Mapping[str, Any], language: Language) -> str:
    """The sentence alone, as a feed entry shows it (half the cost of :func:`message`)."""
    return _text(language, _catalogue(language)["messages"][rule.template]["text"], data)


def reason(key: str, language: Language) -> str:
    """Why a message is always sent, in one language."""
    said: str = _catalogue(language)["reasons"][key]
    return said


def notice(template: str, data: Mapping[str, Any], language: Language) -> str:
    """A sentence about Regionet itself rather than an event (an endpoint disabled), in one language."""
    return _text(language, _catalogue(language)["notices"][template], data)


HTML_LAYOUT = """<!doctype html>
<html lang="{{ language }}"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
<p>{{ greeting }}</p>
<p>{{ text }}</p>
<p><a href="{{ url }}">{{ open }}</a></p>
<hr>
<p style="color: #555; font-size: smaller">{{ why }}{% if must_send %}<br>{{ must_send }}{% endif %}
<br>{{ preferences }}</p>
</body></html>
"""


def email(rule: Rule, data: Mapping[str, Any], language: Language, *, web_url: str, region: str) -> Email:
    """The email for one notification: a plain-text part and an HTML part saying the same."""
    said = message(rule, data, language)
    layout = _catalogue(language)["layout"]
    url = web_url.rstrip("/") + said.link
    words = {
        "greeting": layout["greeting"],
        "open": layout["open"],
        "why": _text(language, layout["why"], {"region": region.upper()}),
        "must_send": (
            _text(language, layout["must_send"], {"reason": _catalogue(language)["reasons"][rule.must_send]})
            if rule.must_send
            else ""
        ),
        "preferences": "" if rule.must_send else layout["preferences"],
    }
    footer = "\n".join(line for line in (words["why"], words["must_send"], words["preferences"]) if line)
    text = f"{words['greeting']}\n\n{said.text}\n\n{words['open']}: {url}\n\n-- \n{footer}\n"
    html = _compiled(language, HTML_LAYOUT, html=True).render(
        language=language, subject=said.subject, text=said.text, url=url, **words
    )
    return Email(subject=said.subject, text=text, html=html)


def digest(
    items: Sequence[tuple[Rule, Mapping[str, Any]]],
    language: Language,
    *,
    web_url: str,
    region: str,
    part: tuple[int, int, int] = (1, 1, 0),
) -> Email:
    """A daily digest: every sentence with its link (none of them is a must-send one).

    ``part`` is (this part, of how many, items in all of them) when a long digest is split over
    several emails; the subject then says which part this is and counts every item.
    """
    catalogue = _catalogue(language)
    layout = catalogue["layout"]
    base = web_url.rstrip("/")
    said = [message(rule, data, language) for rule, data in items]
    number, parts, total = part
    subject = _text(language, layout["digest_subject"], {"count": max(total, len(said))})
    if parts > 1:
        subject += " " + _text(language, layout["digest_part"], {"part": number, "parts": parts})
    why = _text(language, layout["why"], {"region": region.upper()})
    lines = "\n".join(f"- {m.text}\n  {base}{m.link}" for m in said)
    text = f"{layout['greeting']}\n\n{layout['digest_intro']}\n\n{lines}\n\n-- \n{why}\n{layout['preferences']}\n"
    html = _compiled(language, DIGEST_LAYOUT, html=True).render(
        language=language,
        subject=subject,
        greeting=layout["greeting"],
        intro=layout["digest_intro"],
        items=[(m.text, base + m.link) for m in said],
        open=layout["open"],
        why=why,
        preferences=layout["preferences"],
    )
    return Email(subject=subject, text=text, html=html)


DIGEST_LAYOUT = """<!doctype html>
<html lang="{{ language }}"><head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
<p>{{ greeting }}</p>
<p>{{ intro }}</p>
<ul>{% for text, url in items %}<li>{{ text }} <a href="{{ url }}">{{ open }}</a></li>{% endfor %}</ul>
<hr>
<p style="color: #555; font-size: smaller">{{ why }}<br>{{ preferences }}</p>
</body></html>
"""
