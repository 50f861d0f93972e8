"""Setting up a programme: its categories, their opening budgets, and what it publishes."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from services.vouchers import lottery
from services.vouchers.db.programmes import insert_category, insert_programme
from services.vouchers.handlers.commands import CreateProgramme
from shared.db.uow import UnitOfWork
from shared.events.contracts.vouchers import CategoryBudget, ProgrammeCreated, ProgrammePublished


async def create_programme(uow: UnitOfWork, cmd: CreateProgramme, *, actor: str) -> uuid.UUID:
    """Store a programme with its categories and opening budgets; publish the lottery seed's commitment."""
    programme_id = uuid.uuid4()
    seed = secrets.token_hex(16)
    commitment = lottery.seed_commitment(seed)
    # The rules as stored, and as published for other regions to copy.
    rules: dict[str, Any] = {
        "auto_approve": cmd.auto_approve,
        "max_vouchers_per_person": cmd.max_vouchers_per_person,
        "max_cents_per_person": cmd.max_cents_per_person,
        "max_cents_per_person_per_year": cmd.max_cents_per_person_per_year,
        "accredited_providers_only": cmd.accredited_providers_only,
        "attendance_threshold_pct": cmd.attendance_threshold_pct,
        "below_threshold": cmd.below_threshold,
        "quotas": {k.value: v for k, v in cmd.quotas.items()},
        "weights": {k.value: v for k, v in cmd.weights.items()},
    }
    await insert_programme(
        uow.conn,
        id=programme_id,
        region=uow.region,
        name=cmd.name,
        mode=cmd.mode.value,
        opens_at=cmd.opens_at,
        closes_at=cmd.closes_at,
        redeem_by=cmd.redeem_by,
        **rules,
        seed=seed,
        seed_commitment=commitment,
        created_by=actor,
    )
    for position, c in enumerate(cmd.categories):
        await insert_category(
            uow.conn,
            programme_id=programme_id,
            code=c.code,
            name=c.name,
            position=position,
            voucher_amount_cents=c.voucher_amount_cents,
            eligible_situations=[s.value for s in c.eligible_situations],
            budget_cents=c.budget_cents,
            actor=actor,
        )
    categories = [
        CategoryBudget(
            code=c.code,
            name=c.name,
            voucher_amount_cents=c.voucher_amount_cents,
            budget_cents=c.budget_cents,
            eligible_situations=[s.value for s in c.eligible_situations],
        )
        for c in cmd.categories
    ]
    design: dict[str, Any] = {
        "programme_id": programme_id,
        "name": cmd.name,
        "mode": cmd.mode,
        "opens_at": cmd.opens_at,
        "closes_at": cmd.closes_at,
        "redeem_by": cmd.redeem_by,
        "budget_cents": cmd.budget_cents,
        "categories": categories,
    }
    uow.emit(ProgrammeCreated(**design, seed_commitment=commitment), subject=str(programme_id))
    # For other regions: the programme's design, which they may copy (nothing about applicants).
    uow.emit(ProgrammePublished(**design, **rules), subject=str(programme_id))
    return programme_id
