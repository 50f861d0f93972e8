"""Coaches, managed by administrators: a coach is an account of the registry with a coach profile."""

from __future__ import annotations

from services.intake import db
from services.intake.handlers import accounts
from services.intake.handlers.commands import ChangeAccount, RegisterCoach, UpdateCoach
from shared.accounts import Account, get_account
from shared.auth import Principal, Role
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound, Unprocessable


def _check_region(uow: UnitOfWork, region: str | None) -> None:
    if region is not None and region != uow.region:
        raise Unprocessable(f"region: this deployment serves region {uow.region!r}, not {region!r}")


async def register_coach(uow: UnitOfWork, cmd: RegisterCoach) -> db.Row:
    """Make a coach account for a known sign-in subject, with its profile (in this deployment's region)."""
    _check_region(uow, cmd.region)
    accounts.opaque(cmd.id)
    if await get_account(uow.conn, cmd.id) is not None:
        raise Conflict(f"there is already an account {cmd.id!r}; change a coach with PATCH /coaches/{cmd.id}")
    await accounts.store(uow, Account(cmd.id, Role.COACH, cmd.id, uow.region, active=True))
    profile = cmd.model_dump(exclude={"id", "region"}, exclude_none=True)
    if profile:
        await db.coaches.update_coach(uow.conn, cmd.id, profile)
    found = await db.coaches.get_coach(uow.conn, cmd.id)
    assert found is not None
    return found


async def update_coach(uow: UnitOfWork, coach_id: str, cmd: UpdateCoach, *, actor: Principal) -> db.Row:
    """Change a coach (deactivating keeps their caseload assigned until handed over)."""
    if await db.coaches.get_coach(uow.conn, coach_id) is None:
        raise NotFound(f"there is no coach account {coach_id!r}")
    changes = cmd.model_dump(exclude_unset=True)
    _check_region(uow, changes.get("region"))
    emptied = [field for field in ("region", "active") if field in changes and changes[field] is None]
    if emptied:
        raise Unprocessable(f"{emptied[0]} cannot be emptied; give a new value or leave it out")
    if "active" in changes:
        await accounts.change_account(uow, coach_id, ChangeAccount(active=changes.pop("active")), actor=actor)
    if changes:
        await db.coaches.update_coach(uow.conn, coach_id, changes)
    found = await db.coaches.get_coach(uow.conn, coach_id)
    assert found is not None
    return found
