"""Budgets: officers raise, lower and move a category's money; everyone may follow the burn-down."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter

from services.vouchers.access import Officer
from services.vouchers.api.programmes import programme_out
from services.vouchers.api.schemas import BudgetChangeIn, BudgetMoveIn, BurnDown, BurnDownPoint, ProgrammeOut
from services.vouchers.clock import Now
from services.vouchers.db.ledger import burn_down_series
from services.vouchers.domain import used_pct
from services.vouchers.handlers import budgets
from shared.auth import CurrentPrincipal
from shared.errors import Unprocessable
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(tags=["budgets"])


@router.post("/programmes/{programme_id}/budget-changes", response_model=ProgrammeOut)
async def change_budget(
    programme_id: uuid.UUID, body: BudgetChangeIn, uow: UnitOfWorkDep, now: Now, principal: Officer
) -> ProgrammeOut:
    """Raise or lower a category's budget; recorded in the ledger; a raise serves the waiting list first."""
    if body.delta_cents == 0:
        raise Unprocessable("delta_cents is 0, which changes nothing; send a positive or negative amount.")
    await budgets.change_budget(
        uow, programme_id, body.category, body.delta_cents, reason=body.reason, actor=principal.sub, now=now
    )
    return await programme_out(uow.conn, programme_id)


@router.post("/programmes/{programme_id}/budget-moves", response_model=ProgrammeOut)
async def move_budget(
    programme_id: uuid.UUID, body: BudgetMoveIn, uow: UnitOfWorkDep, now: Now, principal: Officer
) -> ProgrammeOut:
    """Move available money from one category to another; both sides recorded in the ledger."""
    await budgets.move_budget(
        uow,
        programme_id,
        body.from_category,
        body.to_category,
        body.amount_cents,
        reason=body.reason,
        actor=principal.sub,
        now=now,
    )
    return await programme_out(uow.conn, programme_id)


@router.get("/programmes/{programme_id}/budget", response_model=BurnDown)
async def burn_down(
    programme_id: uuid.UUID,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    bucket: Literal["minute", "hour", "day"] = "hour",
) -> BurnDown:
    """The budget burn-down per category, from the ledger."""
    async with runtime.pool.acquire() as conn:
        programme = await programme_out(conn, programme_id)
        rows = await burn_down_series(conn, programme_id, bucket)
    series: dict[str, list[BurnDownPoint]] = {c.code: [] for c in programme.categories}
    for r in rows:
        series[r["category"]].append(
            BurnDownPoint(
                at=r["t"],
                budget_cents=r["budget_after"],
                available_cents=r["available_after"],
                used_pct=used_pct(r["budget_after"], r["available_after"]),
            )
        )
    return BurnDown(categories=programme.categories, series=series)
