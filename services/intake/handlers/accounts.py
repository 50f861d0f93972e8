"""Accounts and invitations: intake owns the registry every service checks callers against.

Every change is written to the ``accounts`` table and announced in the same transaction
(``account.activated`` with the whole state, ``account.deactivated``, ``account.removed``), so
every service's copy follows (:mod:`shared.accounts`).

Who may make whom:

- administrators: any account, for any party;
- an employer's or a provider's users: more users of their own organisation;
- a coach: the account of a participant in their caseload (an invitation the person claims).

An invitation's code is shown once, to the inviter; only its hash is kept.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from services.intake import db
from services.intake.access import can_reach
from services.intake.db.participants import Participant
from services.intake.handlers import participants
from services.intake.handlers.commands import ChangeAccount, Claim, CreateAccount, Invite, RegisterParticipant
from services.intake.vault import Vault
from shared.accounts import STAFF_ROLES, Account, get_account, principal_of, put_account
from shared.auth import Identity, Principal, Role
from shared.db import Connection
from shared.db.uow import UnitOfWork
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.events.contracts.intake import AccountActivated, AccountDeactivated, AccountLanguage

log = logging.getLogger(__name__)

# Roles whose party is an organisation whose users may invite more of their own.
ORGANISATION_ROLES = (Role.EMPLOYER, Role.PROVIDER)


def opaque(subject: str) -> str:
    """The subject, when it is an opaque id: account ids travel in events, an email address must not."""
    if "@" in subject:
        raise Unprocessable(
            "the sign-in subject looks like an email address; account ids travel between services, so the"
            " sign-in provider must issue opaque subjects (its 'sub' claim), not email addresses"
        )
    return subject


def code_hash(code: str) -> str:
    """What is kept of an invitation code."""
    return hashlib.sha256(code.encode()).hexdigest()


def _announce(uow: UnitOfWork, account: Account) -> None:
    if account.active:
        language = AccountLanguage(account.language) if account.language else None
        uow.emit(
            AccountActivated(account_id=account.id, role=account.role, party=account.party, language=language),
            subject=account.id,
        )
    else:
        uow.emit(AccountDeactivated(account_id=account.id), subject=account.id)


async def store(uow: UnitOfWork, account: Account) -> Account:
    """Write an account and announce its state; a coach account also gets its coach profile."""
    await put_account(uow.conn, account)
    if account.role is Role.COACH:
        await db.coaches.insert_coach(uow.conn, {"id": account.id, "region": account.region})
    _announce(uow, account)
    return account


async def _check_party(conn: Connection, role: Role, party: uuid.UUID | None) -> None:
    """The party exists and suits the role."""
    if role in STAFF_ROLES:
        if party is not None:
            raise Unprocessable(f"a {role.value} account acts for nobody but itself; leave party out")
        return
    if party is None:
        raise Unprocessable(f"a {role.value} account needs the party: the id of the {role.value} it acts for")
    if role is Role.PARTICIPANT:
        found = await db.participants.find_participant(conn, party)
    elif role is Role.EMPLOYER:
        found = await db.employers.get_employer(conn, party)
    else:
        found = await db.providers.get_provider(conn, party)
    if found is None:
        raise Unprocessable(f"there is no {role.value} {party}; check the party")


async def _may_make(conn: Connection, actor: Principal, role: Role, party: uuid.UUID | None) -> uuid.UUID | None:
    """The party the new account acts for, when ``actor`` may make such an account; 403 otherwise."""
    if actor.role is Role.ADMIN:
        return party
    if actor.role in ORGANISATION_ROLES:
        own = uuid.UUID(str(actor.party))
        if role is not actor.role or party not in (None, own):
            raise Forbidden(f"a {actor.role.value} user may only invite more users of their own organisation")
        return own
    if actor.role is Role.COACH and role is Role.PARTICIPANT:
        if party is None:
            raise Unprocessable("a participant's invitation needs the party: the participant's id")
        row = await db.participants.find_participant(conn, party)
        if row is None or not can_reach(actor, row):
            raise NotFound(f"there is no participant {party} in your caseload")
        return party
    raise Forbidden(f"a {actor.role.value} may not make {role.value} accounts")


async def create_account(uow: UnitOfWork, cmd: CreateAccount, *, actor: Principal) -> Account:
    """An account for a subject the administrator already knows (no invitation needed)."""
    if actor.role is not Role.ADMIN:
        raise Forbidden("only administrators make accounts for a known subject; others send an invitation")
    opaque(cmd.id)
    await _check_party(uow.conn, cmd.role, cmd.party)
    if await get_account(uow.conn, cmd.id) is not None:
        raise Conflict(f"there is already an account {cmd.id!r}; change it with PATCH /accounts/{cmd.id}")
    await _one_account_per_participant(uow.conn, cmd.role, cmd.party)
    party = str(cmd.party) if cmd.party is not None else cmd.id
    language = cmd.language.value if cmd.language else None
    return await store(uow, Account(cmd.id, cmd.role, party, uow.region, active=True, language=language))


async def _one_account_per_participant(conn: Connection, role: Role, party: uuid.UUID | None) -> None:
    if role is Role.PARTICIPANT and party is not None:
        taken = await conn.fetchval("SELECT id FROM accounts WHERE role = 'participant' AND party = $1", str(party))
        if taken is not None:
            raise Conflict(f"participant {party} already has an account")


async def invite(uow: UnitOfWork, cmd: Invite, *, actor: Principal) -> tuple[db.Row, str]:
    """Make an invitation; returns it and its code (shown this once)."""
    party = await _may_make(uow.conn, actor, cmd.role, cmd.party)
    await _check_party(uow.conn, cmd.role, party)
    await _one_account_per_participant(uow.conn, cmd.role, party)
    code = secrets.token_urlsafe(24)
    row = await db.accounts.insert_invitation(
        uow.conn,
        code_hash=code_hash(code),
        role=cmd.role.value,
        party=str(party) if party is not None else None,
        language=cmd.language.value if cmd.language else None,
        invited_by=actor.sub,
        expires_at=datetime.now(UTC) + timedelta(days=cmd.valid_days),
    )
    return row, code


async def claim(uow: UnitOfWork, cmd: Claim, *, identity: Identity) -> Account:
    """The signed-in subject becomes the invitation's account."""
    opaque(identity.sub)
    existing = await get_account(uow.conn, identity.sub)
    if existing is not None:
        principal_of(identity, existing, uow.region)  # a deactivated or foreign account is refused as such
        raise Conflict(f"you already have an account ({identity.sub!r}); sign in with another identity to claim this")
    invitation = await db.accounts.invitation_by_code(uow.conn, code_hash(cmd.code))
    if invitation is None or invitation["revoked_at"] is not None:
        raise NotFound("there is no invitation with this code; ask for a new one")
    if invitation["claimed_by"] is not None:
        raise Conflict("this invitation was already claimed; ask for a new one")
    if invitation["expires_at"] <= datetime.now(UTC):
        raise Conflict("this invitation has expired; ask for a new one")
    role = Role(invitation["role"])
    if identity.role is not None and identity.role is not role:
        raise Forbidden(f"the invitation is for a {role.value} account; your token claims {identity.role.value}")
    party_id = uuid.UUID(invitation["party"]) if invitation["party"] else None
    await _check_party(uow.conn, role, party_id)
    await _one_account_per_participant(uow.conn, role, party_id)
    await db.accounts.mark_claimed(uow.conn, invitation["id"], identity.sub)
    party = invitation["party"] or identity.sub
    return await store(
        uow, Account(identity.sub, role, party, uow.region, active=True, language=invitation["language"])
    )


def may_manage(actor: Principal, account: Account) -> bool:
    """Administrators manage every account; an organisation's users each other's."""
    if actor.role is Role.ADMIN:
        return True
    return actor.role in ORGANISATION_ROLES and account.role is actor.role and account.party == actor.party


async def read_account(conn: Connection, account_id: str, *, actor: Principal) -> Account:
    """One account, for the account itself or someone who manages it."""
    account = await get_account(conn, account_id)
    if account is None or not (account.id == actor.sub or may_manage(actor, account)):
        raise NotFound(f"there is no account {account_id!r} you may see")
    return account


async def change_account(uow: UnitOfWork, account_id: str, cmd: ChangeAccount, *, actor: Principal) -> Account:
    """Deactivate, reactivate or change the language of an account."""
    account = await get_account(uow.conn, account_id, for_update=True)
    if account is None or not (account.id == actor.sub or may_manage(actor, account)):
        raise NotFound(f"there is no account {account_id!r} you may change")
    changes = cmd.model_dump(exclude_unset=True)
    if changes.get("active") is None and "active" in changes:
        raise Unprocessable("active cannot be emptied; give true or false, or leave it out")
    active = changes.get("active", account.active)
    if active != account.active:
        if not may_manage(actor, account):
            raise Forbidden("only an administrator (or a colleague of the same organisation) may do that")
        if account.id == actor.sub:
            raise Unprocessable("you cannot deactivate your own account; ask another administrator or colleague")
        if not active and account.role is Role.ADMIN and await db.accounts.active_admins(uow.conn) <= 1:
            raise Conflict("this is the last active administrator; make another one first")
    language = cmd.language.value if "language" in changes and cmd.language else account.language
    changed = Account(account.id, account.role, account.party, account.region, active=active, language=language)
    if changed != account:
        await put_account(uow.conn, changed)
        _announce(uow, changed)
    return changed


async def revoke_invitation(uow: UnitOfWork, invitation_id: uuid.UUID, *, actor: Principal) -> None:
    """An unclaimed invitation can no longer be claimed."""
    row = await db.accounts.get_invitation(uow.conn, invitation_id)
    if row is None or not _may_see_invitation(actor, row):
        raise NotFound(f"there is no invitation {invitation_id} you may revoke")
    if row["claimed_by"] is not None:
        raise Conflict("this invitation was claimed already; deactivate the account instead")
    await db.accounts.revoke(uow.conn, invitation_id)


def _may_see_invitation(actor: Principal, row: db.Row) -> bool:
    if actor.role is Role.ADMIN:
        return True
    if actor.role in ORGANISATION_ROLES:
        return bool(row["role"] == actor.role.value and row["party"] == actor.party)
    return bool(row["invited_by"] == actor.sub)


async def ensure_first_admin(uow: UnitOfWork, subject: str) -> bool:
    """Make ``subject`` an administrator when the registry has no active one; True when it did."""
    if await db.accounts.active_admins(uow.conn) > 0:
        return False
    existing = await get_account(uow.conn, subject, for_update=True)
    if existing is not None and existing.role is not Role.ADMIN:
        raise RuntimeError(f"REGIONET_FIRST_ADMIN {subject!r} is already a {existing.role.value} account")
    await store(uow, Account(subject, Role.ADMIN, subject, uow.region, active=True))
    log.info("first administrator account made", extra={"account": subject})
    return True


async def register_self(uow: UnitOfWork, cmd: RegisterParticipant, *, identity: Identity, vault: Vault) -> Participant:
    """A person registers themself: a participant record and their participant account, together."""
    if identity.role is not None and identity.role is not Role.PARTICIPANT:
        raise Forbidden(f"registering yourself is for participants; your token claims {identity.role.value}")
    opaque(identity.sub)
    existing = await get_account(uow.conn, identity.sub)
    if existing is not None:
        principal_of(identity, existing, uow.region)
    if existing is not None and existing.role is Role.PARTICIPANT:
        raise Conflict("you are already registered; see your details at GET /participants/me")
    if existing is not None:
        raise Conflict(f"your sign-in is already a {existing.role.value} account; register with another one")
    participant_id = uuid.uuid4()
    actor = Principal(identity.sub, Role.PARTICIPANT, uow.region, party=str(participant_id))
    row = await participants.register_participant(uow, cmd, actor=actor, vault=vault, participant_id=participant_id)
    language = cmd.preferred_language.value
    await store(uow, Account(identity.sub, Role.PARTICIPANT, str(participant_id), uow.region, True, language))
    return row
