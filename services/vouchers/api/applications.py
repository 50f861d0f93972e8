"""Applications: reading them as the caller may, officers' decisions, and cancelling.

Filing one (``POST /programmes/{id}/applications``) is the hot route in :mod:`.filing`.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from services.vouchers.access import Officer, may_see
from services.vouchers.api.lists import ListingQuery
from services.vouchers.api.schemas import ApplicationOut, RejectIn, application_out
from services.vouchers.clock import Now
from services.vouchers.db import applications as application_store
from services.vouchers.handlers import decisions
from shared.accounts import party_uuid
from shared.auth import CurrentPrincipal, Role
from shared.errors import NotFound
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(tags=["applications"])


@router.get("/applications", response_model=list[ApplicationOut])
async def list_applications(
    runtime: RuntimeDep, principal: CurrentPrincipal, listing: ListingQuery
) -> list[ApplicationOut]:
    """Applications the caller may see: officers all, others their own (coaches and employers: filed by them);
    ``offset`` pages on in the ``order`` asked for."""
    scope: dict[str, Any] = {}
    if principal.role is Role.PARTICIPANT:
        scope["participant_id"] = party_uuid(principal)
    elif principal.role is Role.PROVIDER:
        scope["provider_id"] = party_uuid(principal)
        scope["vouchers_only"] = True
    elif principal.role in (Role.COACH, Role.EMPLOYER):
        scope["submitted_by"] = principal.sub
    return [application_out(r, principal) for r in await listing.rows(runtime, **scope)]


@router.get("/applications/{application_id}", response_model=ApplicationOut)
async def get_application(
    application_id: uuid.UUID, runtime: RuntimeDep, principal: CurrentPrincipal
) -> ApplicationOut:
    """One application the caller may see."""
    async with runtime.pool.acquire() as conn:
        row = await application_store.get_application(conn, application_id)
    if row is None or not may_see(principal, row):
        raise NotFound(f"There is no application {application_id} that you may see.")
    return application_out(row, principal)


@router.post("/applications/{application_id}/approve", response_model=ApplicationOut)
async def approve(application_id: uuid.UUID, uow: UnitOfWorkDep, now: Now, principal: Officer) -> ApplicationOut:
    """Approve an application whose money is reserved; the voucher is issued."""
    return application_out(await decisions.approve(uow, application_id, now=now), principal)


@router.post("/applications/{application_id}/reject", response_model=ApplicationOut)
async def reject(
    application_id: uuid.UUID, body: RejectIn, uow: UnitOfWorkDep, now: Now, principal: Officer
) -> ApplicationOut:
    """Reject an application with a reason; reserved money goes to the next on the waiting list."""
    row = await decisions.reject(uow, application_id, reason=body.reason, note=body.note, actor=principal.sub, now=now)
    return application_out(row, principal)


@router.post("/applications/{application_id}/cancel", response_model=ApplicationOut)
async def cancel(
    application_id: uuid.UUID, uow: UnitOfWorkDep, now: Now, principal: CurrentPrincipal
) -> ApplicationOut:
    """Withdraw an application or unused voucher (the applicant, the participant, or an officer)."""
    row = await application_store.get_application(uow.conn, application_id)
    if row is None or not may_see(principal, row) or principal.role is Role.PROVIDER:
        raise NotFound(f"There is no application {application_id} that you may cancel.")
    updated = await decisions.cancel(
        uow, application_id, by_role=principal.role.value, actor=principal.role.value, now=now
    )
    return application_out(updated, principal)
