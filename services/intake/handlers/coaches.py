"""Coach accounts, managed by administrators."""

from __future__ import annotations

from services.intake import db
from services.intake.handlers.commands import RegisterCoach, UpdateCoach
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound, Unprocessable


def _check_region(uow: UnitOfWork, region: str | None) -> None:
    if region is not None and region != uow.region:
        raise Unprocessable(f"region: this deployment serves region {uow.region!r}, not {region!r}")


async def register_coach(uow: UnitOfWork, cmd: RegisterCoach) -> db.Row:
    """Create a coach account (in this deployment's region)."""
    _check_region(uow, cmd.region)
    row = await db.coaches.insert_coach(uow.conn, cmd.model_dump())
    if row is None:
        raise Conflict(f"a coach account {cmd.id!r} already exists; change it with PATCH /coaches/{cmd.id}")
    found = await db.coaches.get_coach(uow.conn, cmd.id)
    assert found is not None
    return found


async def update_coach(uow: UnitOfWork, coach_id: str, cmd: UpdateCoach) -> db.Row:
    """Change a coach account (deactivating keeps their caseload assigned until handed over)."""
    if await db.coaches.get_coach(uow.conn, coach_id) is None:
        raise NotFound(f"there is no coach account {coach_id!r}")
    changes = cmd.model_dump(exclude_unset=True)
    _check_region(uow, changes.get("region"))
    emptied = [field for field in ("region", "active") if field in changes and changes[field] is None]
    if emptied:
        raise Unprocessable(f"{emptied[0]} cannot be emptied; give a new value or leave it out")
    if changes:
        await db.coaches.update_coach(uow.conn, coach_id, changes)
    found = await db.coaches.get_coach(uow.conn, coach_id)
    assert found is not None
    return found
