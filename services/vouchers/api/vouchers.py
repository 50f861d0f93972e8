"""Vouchers: reading them as the caller may, and their redemption, settlement and clawback."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter

from services.vouchers.access import Officer, Provider, may_see
from services.vouchers.api.lists import ListingQuery
from services.vouchers.api.schemas import (
    ApplicationOut,
    ClawbackIn,
    CourseOut,
    RedemptionIn,
    application_out,
)
from services.vouchers.clock import Now
from services.vouchers.db import read_model
from services.vouchers.db.applications import get_by_voucher
from services.vouchers.handlers import redemption
from shared.accounts import party_uuid
from shared.auth import CurrentPrincipal, Principal, Role, require_roles
from shared.errors import NotFound
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(tags=["vouchers"])


@router.get("/vouchers", response_model=list[ApplicationOut])
async def list_vouchers(
    runtime: RuntimeDep,
    principal: Annotated[Principal, require_roles(Role.PROVIDER, Role.PARTICIPANT, Role.PROGRAMME_OFFICER, Role.ADMIN)],
    listing: ListingQuery,
) -> list[ApplicationOut]:
    """Vouchers: a provider sees only vouchers for its own courses, a participant only their own; ``offset`` pages on
    in the ``order`` asked for."""
    scope: dict[str, Any] = {}
    if principal.role is Role.PROVIDER:
        scope["provider_id"] = party_uuid(principal)
    elif principal.role is Role.PARTICIPANT:
        scope["participant_id"] = party_uuid(principal)
    return [application_out(r, principal) for r in await listing.rows(runtime, vouchers_only=True, **scope)]


@router.get("/courses/{course_id}", response_model=CourseOut)
async def get_course(course_id: uuid.UUID, runtime: RuntimeDep, principal: CurrentPrincipal) -> CourseOut:
    """A course of the catalogue (title, provider, price), for anyone signed in: a participant reads
    the title of the course their voucher pays for. The catalogue holds nothing about people."""
    async with runtime.pool.acquire() as conn:
        row = await read_model.course(conn, course_id)
    if row is None:
        raise NotFound(f"There is no course {course_id} in the catalogue.")
    return CourseOut.model_validate(dict(row))


@router.get("/vouchers/{voucher_id}", response_model=ApplicationOut)
async def get_voucher(voucher_id: uuid.UUID, runtime: RuntimeDep, principal: CurrentPrincipal) -> ApplicationOut:
    """One voucher the caller may see."""
    async with runtime.pool.acquire() as conn:
        row = await get_by_voucher(conn, voucher_id)
    if row is None or not may_see(principal, row):
        raise NotFound(f"There is no voucher {voucher_id} that you may see.")
    return application_out(row, principal)


@router.post("/vouchers/{voucher_id}/redemption", response_model=ApplicationOut)
async def redeem(
    voucher_id: uuid.UUID, body: RedemptionIn, uow: UnitOfWorkDep, now: Now, principal: Provider
) -> ApplicationOut:
    """Claim a voucher with attendance and completion; below the threshold it is rejected or paid in part."""
    row = await redemption.redeem(
        uow,
        voucher_id,
        provider_id=party_uuid(principal),
        attendance_pct=body.attendance_pct,
        completed=body.completed,
        now=now,
    )
    return application_out(row, principal)


@router.post("/vouchers/{voucher_id}/settlement", response_model=ApplicationOut)
async def settle(voucher_id: uuid.UUID, uow: UnitOfWorkDep, principal: Officer) -> ApplicationOut:
    """Record that a redeemed voucher was paid to the provider."""
    return application_out(await redemption.settle(uow, voucher_id, actor=principal.sub), principal)


@router.post("/vouchers/{voucher_id}/clawback", response_model=ApplicationOut)
async def claw_back(
    voucher_id: uuid.UUID, body: ClawbackIn, uow: UnitOfWorkDep, now: Now, principal: Officer
) -> ApplicationOut:
    """Claw back a redeemed (or settled) voucher's money when its evidence is withdrawn."""
    row = await redemption.claw_back(uow, voucher_id, note=body.reason, actor=principal.sub, now=now)
    return application_out(row, principal)
