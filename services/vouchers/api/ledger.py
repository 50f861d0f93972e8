"""The ledger: every cent that moved in a programme, and whether the sums match the balances."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.vouchers.access import Officer
from services.vouchers.api.programmes import programme_out
from services.vouchers.audit import audit
from services.vouchers.db.ledger import ledger_entries, ledger_totals
from shared.paging import Cursor
from shared.service import RuntimeDep

router = APIRouter(tags=["budgets"])


@router.get("/programmes/{programme_id}/ledger")
async def ledger(
    programme_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: Officer,
    after_seq: Cursor = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """The append-only ledger of a programme, and whether its sums match the balances."""
    async with runtime.pool.acquire() as conn:
        await programme_out(conn, programme_id)
        entries = await ledger_entries(conn, programme_id, after_seq=after_seq, limit=limit)
        totals = await ledger_totals(conn, programme_id)
        problems = await audit(conn, programme_id)
    balanced = not problems
    return {"balanced": balanced, "problems": problems, "totals": totals, "entries": [dict(e) for e in entries]}
