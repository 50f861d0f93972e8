"""What a list of applications or vouchers takes from the query string (``GET /applications``, ``GET /vouchers``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import Depends, Query

from services.vouchers.db.applications import list_applications
from shared.paging import Offset
from shared.service import Runtime

# As they were filed, or the newest filed first.
ListOrder = Annotated[
    Literal["oldest", "newest"],
    Query(description="oldest: in the order they were applied for (the default); newest: the latest application first"),
]


@dataclass(frozen=True)
class Listing:
    """Which page of which applications, in which order; the route adds what its caller may see."""

    programme_id: uuid.UUID | None
    status: str | None
    limit: int
    offset: int
    newest_first: bool

    async def rows(self, runtime: Runtime, **scope: Any) -> list[asyncpg.Record]:
        """The page, within ``scope`` (the filters that keep to what the caller may see)."""
        async with runtime.pool.acquire() as conn:
            return await list_applications(
                conn,
                programme_id=self.programme_id,
                status=self.status,
                newest_first=self.newest_first,
                limit=self.limit,
                offset=self.offset,
                **scope,
            )


def _listing(
    programme_id: uuid.UUID | None = None,
    status_is: Annotated[str | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
    order: ListOrder = "oldest",
) -> Listing:
    return Listing(programme_id, status_is, limit, offset, newest_first=order == "newest")


ListingQuery = Annotated[Listing, Depends(_listing)]
