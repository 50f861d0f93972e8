"""Accounts and invitations: who may sign in to Regionet, as whom (see the README's "Accounts and identity")."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from services.intake import db
from services.intake.api.schemas import AccountOut, InvitationOut
from services.intake.handlers import accounts as handle
from services.intake.handlers.commands import ChangeAccount, Claim, CreateAccount, Invite
from shared.auth import CurrentPrincipal, Principal, Role, SignedIn, require_roles
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(prefix="/accounts", tags=["accounts"])

Admin = Annotated[Principal, require_roles(Role.ADMIN)]
Inviter = Annotated[Principal, require_roles(Role.ADMIN, Role.EMPLOYER, Role.PROVIDER, Role.COACH)]
Manager = Annotated[Principal, require_roles(Role.ADMIN, Role.EMPLOYER, Role.PROVIDER)]
AccountIdPath = Annotated[str, Path(min_length=1, max_length=255, description="The sign-in subject")]


def _forget(request: Request, *account_ids: str) -> None:
    """This process answers the next request of these accounts from the table, not its cache."""
    request.app.state.accounts.forget(account_ids)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AccountOut)
async def create(body: CreateAccount, request: Request, principal: Admin, uow: UnitOfWorkDep) -> AccountOut:
    """Make an account for a sign-in subject you know (administrators); otherwise send an invitation."""
    account = await handle.create_account(uow, body, actor=principal)
    _forget(request, account.id)
    return AccountOut.of(account)


@router.get("", response_model=list[AccountOut])
async def list_accounts(
    runtime: RuntimeDep,
    principal: Manager,
    role: Role | None = None,
    party: Annotated[str | None, Query(max_length=255)] = None,
    after: Annotated[str | None, Query(max_length=255, description="The last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AccountOut]:
    """Accounts by id: administrators see all; an employer's or provider's users see their own organisation's."""
    if principal.role is not Role.ADMIN:
        role, party = principal.role, principal.party
    async with runtime.pool.acquire() as conn:
        rows = await db.accounts.list_accounts(conn, role=role and role.value, party=party, after=after, limit=limit)
    return [AccountOut.model_validate(dict(r)) for r in rows]


@router.get("/me", response_model=AccountOut)
async def read_me(principal: CurrentPrincipal, runtime: RuntimeDep) -> AccountOut:
    """Your own account: your role, the party you act for, your language."""
    async with runtime.pool.acquire() as conn:
        return AccountOut.of(await handle.read_account(conn, principal.sub, actor=principal))


@router.post("/claim", status_code=status.HTTP_201_CREATED, response_model=AccountOut)
async def claim(body: Claim, request: Request, identity: SignedIn, uow: UnitOfWorkDep) -> AccountOut:
    """Claim an invitation: whoever is signed in becomes the account it offers (once)."""
    account = await handle.claim(uow, body, identity=identity)
    _forget(request, account.id)
    return AccountOut.of(account)


@router.post("/invitations", status_code=status.HTTP_201_CREATED, response_model=InvitationOut)
async def invite(body: Invite, principal: Inviter, uow: UnitOfWorkDep) -> InvitationOut:
    """Invite someone: administrators anyone; an employer's or provider's users a colleague; a coach a participant
    of their caseload. The answer holds the code, shown only this once."""
    row, code = await handle.invite(uow, body, actor=principal)
    return InvitationOut.model_validate({**dict(row), "code": code})


@router.get("/invitations", response_model=list[InvitationOut])
async def list_invitations(
    runtime: RuntimeDep, principal: Inviter, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[InvitationOut]:
    """Invitations, newest first: all for administrators, your organisation's or the ones you sent otherwise."""
    role: str | None = None
    party: str | None = None
    invited_by: str | None = None
    if principal.role in handle.ORGANISATION_ROLES:
        role, party = principal.role.value, principal.party
    elif principal.role is not Role.ADMIN:
        invited_by = principal.sub
    async with runtime.pool.acquire() as conn:
        rows = await db.accounts.list_invitations(conn, role=role, party=party, invited_by=invited_by, limit=limit)
    return [InvitationOut.model_validate(dict(r)) for r in rows]


@router.delete("/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke(invitation_id: uuid.UUID, principal: Inviter, uow: UnitOfWorkDep) -> Response:
    """Revoke an invitation nobody claimed yet."""
    await handle.revoke_invitation(uow, invitation_id, actor=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{account_id}", response_model=AccountOut)
async def read(account_id: AccountIdPath, principal: CurrentPrincipal, runtime: RuntimeDep) -> AccountOut:
    """One account: your own, or one you manage."""
    async with runtime.pool.acquire() as conn:
        return AccountOut.of(await handle.read_account(conn, account_id, actor=principal))


@router.patch("/{account_id}", response_model=AccountOut)
async def change(
    account_id: AccountIdPath,
    body: ChangeAccount,
    request: Request,
    principal: CurrentPrincipal,
    uow: UnitOfWorkDep,
) -> AccountOut:
    """Deactivate or reactivate an account (administrators; colleagues of the same organisation), or change the
    language (also your own). Every service refuses a deactivated account within seconds."""
    account = await handle.change_account(uow, account_id, body, actor=principal)
    _forget(request, account.id)
    return AccountOut.of(account)
