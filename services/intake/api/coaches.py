"""Coach accounts: administrators manage them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, status

from services.intake import db
from services.intake.api.schemas import CoachOut
from services.intake.handlers import coaches as handle
from services.intake.handlers.commands import RegisterCoach, UpdateCoach
from shared.auth import Principal, Role, require_roles
from shared.errors import NotFound
from shared.service import RuntimeDep, UnitOfWorkDep

router = APIRouter(prefix="/coaches", tags=["coaches"])

Admin = Annotated[Principal, require_roles(Role.ADMIN)]
Staff = Annotated[Principal, require_roles(Role.ADMIN, Role.COACH, Role.PROGRAMME_OFFICER)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CoachOut)
async def register(body: RegisterCoach, request: Request, principal: Admin, uow: UnitOfWorkDep) -> CoachOut:
    """Make a coach account for a known sign-in subject (or invite a coach: POST /accounts/invitations)."""
    row = await handle.register_coach(uow, body)
    request.app.state.accounts.forget([body.id])
    return CoachOut.model_validate(dict(row))


@router.get("", response_model=list[CoachOut])
async def list_coaches(runtime: RuntimeDep, principal: Staff) -> list[CoachOut]:
    """Every coach with their caseload (to pick a coach when assigning, or to balance caseloads)."""
    async with runtime.pool.acquire() as conn:
        rows = await db.coaches.list_coaches(conn)
    return [CoachOut.model_validate(dict(r)) for r in rows]


@router.get("/{coach_id}", response_model=CoachOut)
async def read(coach_id: str, runtime: RuntimeDep, principal: Staff) -> CoachOut:
    """One coach account."""
    async with runtime.pool.acquire() as conn:
        row = await db.coaches.get_coach(conn, coach_id)
    if row is None:
        raise NotFound(f"there is no coach account {coach_id!r}")
    return CoachOut.model_validate(dict(row))


@router.patch("/{coach_id}", response_model=CoachOut)
async def update(coach_id: str, body: UpdateCoach, request: Request, principal: Admin, uow: UnitOfWorkDep) -> CoachOut:
    """Change a coach account: name, region, maximum caseload, active or not."""
    row = await handle.update_coach(uow, coach_id, body, actor=principal)
    request.app.state.accounts.forget([coach_id])
    return CoachOut.model_validate(dict(row))
