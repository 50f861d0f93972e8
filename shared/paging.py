"""Paging parameters, bounded the same way in every service.

A cursor or offset beyond what Postgres's ``bigint`` holds cannot even be sent to the
database (it used to answer 500); an offset past the end of any real list is pointless, and
each page is capped so that one request cannot ask for a whole table.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

BIGINT_MAX = 2**63 - 1
# Further than any list of a region goes; deeper pages use a cursor (``after``) instead.
MAX_OFFSET = 1_000_000

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"Items to skip (at most {MAX_OFFSET:,})")]
Cursor = Annotated[int, Query(ge=0, le=BIGINT_MAX, description="The position after which the page starts")]
