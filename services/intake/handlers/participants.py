"""Participants: registration, changes, coach, trajectory, notes, consent and erasure.

Every change writes its rows, a timeline entry (who and when) and exactly one event per fact
in one unit of work. Events carry the participant's pseudonym and the coarse profile other
services need (see ``shared/events/contracts/intake.py``), never names or contact details.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from services.intake import db, domain
from services.intake.access import Gone, reachable_participant
from services.intake.db.participants import Participant
from services.intake.handlers.commands import (
    AddNote,
    AssignCoach,
    ChangeTrajectory,
    RecordConsent,
    RecordEmployer,
    RegisterParticipant,
    UpdateParticipant,
)
from services.intake.vault import Vault
from shared.accounts import forget_participant, link_employer, unlink_employer
from shared.auth import Principal, Role
from shared.db import Connection
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, NotFound, Unprocessable
from shared.events.contracts.intake import (
    AccountRemoved,
    ConsentPurpose,
    ParticipantCoachAssigned,
    ParticipantConsentGiven,
    ParticipantConsentWithdrawn,
    ParticipantEmployerChanged,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantSituationChanged,
    ParticipantTrajectoryChanged,
    ParticipantUpdated,
    Situation,
    TargetGroup,
    TrajectoryStatus,
)

# Fields a participant must always have: they can be changed, not emptied.
_REQUIRED = frozenset({"name", "situation", "preferred_language", "target_groups", "skills", "desired_occupations"})


def consent_source(principal: Principal) -> str:
    """How a consent decision reached intake, as events record it."""
    return "participant" if principal.role is Role.PARTICIPANT else "coach"


def _column(value: Any) -> Any:
    """A command value as it is stored."""
    if isinstance(value, list):
        return sorted({_column(v) for v in value}) if value and isinstance(value[0], TargetGroup) else list(value)
    if hasattr(value, "value"):
        return value.value
    return value


def profile(row: Participant, consents: set[ConsentPurpose]) -> dict[str, Any]:
    """The non-personal profile of a participant row, for events."""
    return {
        "participant_id": row["id"],
        "coach_id": row["coach_id"],
        "situation": Situation(row["situation"]),
        "age_group": domain.age_group(row["birth_date"], date.today()),
        "postcode_area": row["postcode_area"],
        "education_level": row["education_level"],
        "skills": list(row["skills"]),
        "desired_occupations": list(row["desired_occupations"]),
        "target_groups": domain.shareable_target_groups([TargetGroup(t) for t in row["target_groups"]], consents),
        "trajectory_status": TrajectoryStatus(row["status"]),
    }


async def consented_purposes(conn: Connection, participant_id: uuid.UUID) -> set[ConsentPurpose]:
    """The purposes (other than employer-specific sharing) a participant currently consents to."""
    return {ConsentPurpose(r["purpose"]) for r in await db.consents.current_consents(conn, participant_id)}


async def _check_coach(conn: Connection, coach_id: str) -> None:
    """Refuse an unknown or deactivated coach, or one whose caseload is full."""
    coach = await db.coaches.get_coach_account(conn, coach_id)
    if coach is None:
        raise Unprocessable(
            f"there is no coach account {coach_id!r}; ask an administrator to add it with POST /coaches"
        )
    if not coach["active"]:
        raise Unprocessable(f"the coach account {coach_id!r} is deactivated; choose an active coach")
    if coach["max_caseload"] is not None:
        load = await db.coaches.caseload(conn, coach_id)
        if load >= coach["max_caseload"]:
            raise Conflict(
                f"coach {coach_id!r} has a full caseload ({load} of {coach['max_caseload']});"
                " choose another coach or raise their maximum"
            )


def _check_target_groups(declared: list[Any], consents: set[ConsentPurpose]) -> None:
    if declared and not consents & domain.TARGET_GROUP_CONSENTS:
        raise Unprocessable(
            "declaring target groups needs consent for matching or anonymous reporting;"
            " record that consent first, or leave the target groups out"
        )


async def register_participant(
    uow: UnitOfWork,
    cmd: RegisterParticipant,
    *,
    actor: Principal,
    vault: Vault,
    source: str | None = None,
    participant_id: uuid.UUID | None = None,
) -> Participant:
    """Store a new participant (personal fields sealed with a new key of their own) with the consents given
    at intake, and announce both."""
    conn = uow.conn
    consents = set(cmd.consents)
    _check_target_groups(cmd.target_groups, consents)
    if cmd.coach_id is not None:
        await _check_coach(conn, cmd.coach_id)
    participant_id = participant_id or uuid.uuid4()
    values = {f: _column(getattr(cmd, f)) for f in type(cmd).model_fields if f != "consents"}
    values |= {
        "id": participant_id,
        "postcode_area": domain.postcode_area(cmd.postcode),
        "registered_by": actor.sub,
    }
    row = await db.participants.insert_participant(conn, vault, values)
    await db.timeline.add_timeline(conn, participant_id, "registered", actor.sub)
    uow.emit(ParticipantRegistered(**profile(row, consents)), subject=str(participant_id))
    for purpose in sorted(consents):
        await _record_consent(
            uow, participant_id, purpose, None, given=True, source=source or consent_source(actor), actor=actor.sub
        )
    return row


async def read_participant(conn: Connection, vault: Vault, participant_id: uuid.UUID, actor: Principal) -> Participant:
    """A participant's record for the caller, logged as a read of personal data."""
    row = await reachable_participant(conn, vault, participant_id, actor)
    await db.audit.log_access(conn, [participant_id], accessor=actor.sub, role=actor.role.value, action="read")
    return row


async def list_participants(
    conn: Connection,
    vault: Vault,
    where: db.participants.ParticipantFilter,
    actor: Principal,
    *,
    after: int,
    limit: int,
) -> list[Participant]:
    """A page of the participants the caller may see, each logged as a read of personal data."""
    if actor.role is Role.COACH:
        where = db.participants.ParticipantFilter(**{**where.__dict__, "visible_to_coach": actor.sub})
    rows = await db.participants.list_participants(conn, vault, where, after=after, limit=limit)
    await db.audit.log_access(conn, [r["id"] for r in rows], accessor=actor.sub, role=actor.role.value, action="list")
    return rows


async def update_participant(
    uow: UnitOfWork, participant_id: uuid.UUID, cmd: UpdateParticipant, *, actor: Principal, vault: Vault
) -> Participant:
    """Change details; announce which fields changed (names only) and a new situation."""
    conn = uow.conn
    row = await reachable_participant(conn, vault, participant_id, actor, for_update=True)
    changes: dict[str, Any] = {}
    for field in sorted(cmd.model_fields_set):
        value = getattr(cmd, field)
        if value is None and field in _REQUIRED:
            raise Unprocessable(f"{field} cannot be emptied; give a new value or leave it out")
        stored = _column(value)
        if stored != (list(row[field]) if isinstance(row[field], list) else row[field]):
            changes[field] = stored
    if "postcode" in changes:
        area = domain.postcode_area(changes["postcode"])
        if area != row["postcode_area"]:
            changes["postcode_area"] = area
    consents = await consented_purposes(conn, participant_id)
    if changes.get("target_groups"):
        _check_target_groups(changes["target_groups"], consents)
    if not changes:
        return row
    new = await db.participants.update_participant(conn, row, changes)
    await db.timeline.add_timeline(conn, participant_id, "updated", actor.sub, details={"fields": sorted(changes)})
    uow.emit(ParticipantUpdated(**profile(new, consents), changed_fields=sorted(changes)), subject=str(participant_id))
    if "situation" in changes:
        uow.emit(
            ParticipantSituationChanged(
                participant_id=participant_id,
                previous=Situation(row["situation"]),
                situation=Situation(new["situation"]),
            ),
            subject=str(participant_id),
        )
    return new


async def assign_coach(
    uow: UnitOfWork, participant_id: uuid.UUID, cmd: AssignCoach, *, actor: Principal, vault: Vault
) -> Participant:
    """Put a participant in a coach's caseload (taking on, or handing over)."""
    conn = uow.conn
    row = await reachable_participant(conn, vault, participant_id, actor, for_update=True)
    if row["coach_id"] == cmd.coach_id:
        return row
    await _check_coach(conn, cmd.coach_id)
    new = await db.participants.update_participant(conn, row, {"coach_id": cmd.coach_id})
    await db.timeline.add_timeline(
        conn,
        participant_id,
        "coach_assigned",
        actor.sub,
        details={"coach_id": cmd.coach_id, "previous": row["coach_id"]},
    )
    uow.emit(
        ParticipantCoachAssigned(
            participant_id=participant_id, coach_id=cmd.coach_id, previous_coach_id=row["coach_id"]
        ),
        subject=str(participant_id),
    )
    return new


async def change_trajectory(
    uow: UnitOfWork, participant_id: uuid.UUID, cmd: ChangeTrajectory, *, actor: Principal, vault: Vault
) -> Participant:
    """Move the trajectory on (intake → active → placed / ended), recording who and why."""
    conn = uow.conn
    row = await reachable_participant(conn, vault, participant_id, actor, for_update=True)
    current = TrajectoryStatus(row["status"])
    try:
        reason = domain.check_transition(current, cmd.status, cmd.reason)
    except domain.RuleViolation as exc:
        raise Unprocessable(str(exc)) from exc
    if cmd.status is TrajectoryStatus.ACTIVE and row["coach_id"] is None:
        raise Unprocessable("a trajectory becomes active only with a coach; assign a coach first")
    new = await db.participants.update_participant(conn, row, {"status": cmd.status.value})
    await db.timeline.add_timeline(
        conn,
        participant_id,
        "trajectory_changed",
        actor.sub,
        details={"previous": current.value, "status": cmd.status.value, "reason": reason},
    )
    uow.emit(
        ParticipantTrajectoryChanged(participant_id=participant_id, previous=current, status=cmd.status, reason=reason),
        subject=str(participant_id),
    )
    return new


async def add_note(
    uow: UnitOfWork, participant_id: uuid.UUID, cmd: AddNote, *, actor: Principal, vault: Vault
) -> dict[str, Any]:
    """A coach's note on the timeline (personal data: sealed with the participant's key, never in an event)."""
    row = await reachable_participant(uow.conn, vault, participant_id, actor, for_update=True)
    return await db.timeline.add_note(uow.conn, row.key, cmd.text, actor.sub)


async def read_timeline(
    conn: Connection, vault: Vault, participant_id: uuid.UUID, actor: Principal
) -> list[dict[str, Any]]:
    """A participant's timeline, logged as a read of personal data (notes are)."""
    row = await reachable_participant(conn, vault, participant_id, actor)
    await db.audit.log_access(conn, [participant_id], accessor=actor.sub, role=actor.role.value, action="timeline")
    return await db.timeline.timeline(conn, row.key)


async def _record_consent(
    uow: UnitOfWork,
    participant_id: uuid.UUID,
    purpose: ConsentPurpose,
    employer_id: uuid.UUID | None,
    *,
    given: bool,
    source: str,
    actor: str,
) -> None:
    await db.consents.add_consent(
        uow.conn,
        participant_id=participant_id,
        purpose=purpose.value,
        employer_id=employer_id,
        given=given,
        source=source,
        recorded_by=actor,
    )
    if purpose is ConsentPurpose.SHARE_WITH_EMPLOYER and employer_id is not None:
        if given:
            await link_employer(uow.conn, participant_id, employer_id, "consent")
        else:
            await unlink_employer(uow.conn, participant_id, "consent", employer_id)
    details = {"purpose": purpose.value, "employer_id": str(employer_id) if employer_id else None, "source": source}
    await db.timeline.add_timeline(
        uow.conn, participant_id, "consent_given" if given else "consent_withdrawn", actor, details=details
    )
    event = ParticipantConsentGiven if given else ParticipantConsentWithdrawn
    uow.emit(
        event(participant_id=participant_id, purpose=purpose, employer_id=employer_id, source=source),
        subject=str(participant_id),
    )


async def record_consent(
    uow: UnitOfWork, participant_id: uuid.UUID, cmd: RecordConsent, *, actor: Principal, vault: Vault
) -> list[db.Row]:
    """Give or withdraw consent for a purpose; returns the consents in force afterwards.

    Recording the decision already in force changes nothing and announces nothing. Withdrawing
    the last consent that allows declared target groups also forgets the target groups.
    """
    conn = uow.conn
    row = await reachable_participant(conn, vault, participant_id, actor, for_update=True)
    if cmd.purpose is ConsentPurpose.SHARE_WITH_EMPLOYER:
        if cmd.employer_id is None:
            raise Unprocessable("sharing the profile needs the employer_id of the employer to share it with")
        if await db.employers.get_employer(conn, cmd.employer_id) is None:
            raise Unprocessable(f"there is no employer {cmd.employer_id}; check the employer_id")
    elif cmd.employer_id is not None:
        raise Unprocessable(f"consent for {cmd.purpose.value} is not tied to an employer; leave employer_id out")
    current = await db.consents.current_consents(conn, participant_id)
    in_force = any(r["purpose"] == cmd.purpose.value and r["employer_id"] == cmd.employer_id for r in current)
    if in_force != cmd.given:
        await _record_consent(
            uow,
            participant_id,
            cmd.purpose,
            cmd.employer_id,
            given=cmd.given,
            source=consent_source(actor),
            actor=actor.sub,
        )
        remaining = await consented_purposes(conn, participant_id)
        if not cmd.given and row["target_groups"] and not remaining & domain.TARGET_GROUP_CONSENTS:
            await db.participants.update_participant(conn, row, {"target_groups": []})
    return await db.consents.current_consents(conn, participant_id)


async def record_employer(
    uow: UnitOfWork, participant_id: uuid.UUID, cmd: RecordEmployer, *, actor: Principal, vault: Vault
) -> Participant:
    """Record whom the participant works for: that employer may then act for them (apply for a voucher)."""
    conn = uow.conn
    row = await reachable_participant(conn, vault, participant_id, actor, for_update=True)
    if cmd.employer_id is not None and await db.employers.get_employer(conn, cmd.employer_id) is None:
        raise Unprocessable(f"there is no employer {cmd.employer_id}; check the employer_id")
    if row["employer_id"] == cmd.employer_id:
        return row
    new = await db.participants.update_participant(conn, row, {"employer_id": cmd.employer_id})
    await unlink_employer(conn, participant_id, "employee")
    if cmd.employer_id is not None:
        await link_employer(conn, participant_id, cmd.employer_id, "employee")
    details = {"employer_id": str(cmd.employer_id) if cmd.employer_id else None}
    await db.timeline.add_timeline(conn, participant_id, "employer_changed", actor.sub, details=details)
    uow.emit(
        ParticipantEmployerChanged(
            participant_id=participant_id, employer_id=cmd.employer_id, previous_employer_id=row["employer_id"]
        ),
        subject=str(participant_id),
    )
    return new


async def consents_of(conn: Connection, vault: Vault, participant_id: uuid.UUID, actor: Principal) -> list[db.Row]:
    """A participant's consent history."""
    await reachable_participant(conn, vault, participant_id, actor)
    return await db.consents.consent_history(conn, participant_id)


async def erase_participant(uow: UnitOfWork, participant_id: uuid.UUID, *, actor: Principal) -> None:
    """Destroy the participant's data key and delete their records; keep a record of the erasure without
    personal data, announce it. Copies of their sealed fields left in Postgres's files cannot be opened."""
    conn = uow.conn
    row = await db.participants.find_participant(conn, participant_id, for_update=True)
    if row is None:
        if await db.audit.get_erasure(conn, participant_id) is not None:
            raise Gone(f"participant {participant_id} was already erased; nothing is kept about them")
        raise NotFound(f"there is no participant {participant_id}")
    await db.participants.delete_participant(conn, participant_id)
    for account_id in await forget_participant(conn, participant_id):
        uow.emit(AccountRemoved(account_id=account_id), subject=account_id)
    await db.accounts.forget_invitations_of(conn, str(participant_id))
    # A participant's own account id could identify them, so their own request is kept as 'self'.
    await db.audit.record_erasure(conn, participant_id, "self" if actor.role is Role.PARTICIPANT else actor.sub)
    uow.emit(ParticipantErased(participant_id=participant_id), subject=str(participant_id))
