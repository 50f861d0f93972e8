"""The reader's language: ``?lang=``, else the first of nl/de/en in ``Accept-Language``, else Dutch."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query

from services.matching.vocabulary import LANGUAGES, Language


async def reader_language(
    lang: Annotated[Language | None, Query(description="nl, de or en; else Accept-Language; else nl")] = None,
    accept_language: Annotated[str | None, Header(max_length=500)] = None,
) -> Language:
    if lang is not None:
        return lang
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        for known in LANGUAGES:
            if code == known:
                return known
    return "nl"


Reader = Annotated[Language, Depends(reader_language)]
