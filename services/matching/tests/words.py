"""A check that the words a web page shows exist in Dutch, German and English."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from services.matching.web import i18n

# A message key a template looks up: t["key"], t['key'] or t.get("key"); a key ending in "." is a
# prefix the template completes (t["employer.status." ~ o.status]).
LOOKUP = re.compile(r"t(?:\[|\.get\()[\"']([a-z_.]+)[\"']")


def assert_every_word_exists(
    templates: Iterable[Path], dynamic: Mapping[str, set[str]], also: Iterable[str] = ()
) -> None:
    """Every key the templates look up, each of ``dynamic``'s prefixes with each of its values, and
    ``also`` (keys the code uses) has non-empty words in every language."""
    used = set(also)
    for path in templates:
        used |= set(LOOKUP.findall(path.read_text()))
    prefixes = {key for key in used if key.endswith(".")}
    assert prefixes <= dynamic.keys(), prefixes - dynamic.keys()
    wanted = (used - prefixes) | {prefix + value for prefix, values in dynamic.items() for value in values}
    for language, words in i18n.MESSAGES.items():
        assert wanted <= words.keys(), (language, sorted(wanted - words.keys()))
        assert all(words[key].strip() for key in wanted)
