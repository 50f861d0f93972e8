"""The accounts registry: which account a token's subject is, whom it acts for, and whether it may act.

One identity model for every service (the README's "Accounts and identity"):

- a token's ``sub`` names an **account**; every account belongs to exactly one **party** within
  the deployment's region: a participant, an employer or a provider (whose id is the party), or
  a coach, a programme officer or an administrator (whose own account id is the party);
- **intake owns** accounts and the links between participants and employers, and publishes
  every change (``account.activated``, ``account.deactivated``, ``account.removed``,
  ``participant.employer_changed``, consent to share with an employer); every other service
  keeps a copy in its own schema (the ``accounts`` and ``employer_links`` tables of
  ``shared/db/migrations/003_accounts.sql``), filled by :func:`registry_subscriber`;
- every request is checked here, the same way in every service: an unknown, deactivated or
  foreign account is refused with 403 before any handler runs, and the principal a handler
  gets carries the account's role and party (:attr:`shared.auth.Principal.party`).

Lookups are cached for a few seconds (``REGIONET_ACCOUNTS_CACHE_SECONDS``): a deactivation
reaches every service as fast as its event plus that time.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import asyncpg

from shared.auth import Identity, Principal, Role
from shared.bus.consumer import Subscriber
from shared.bus.topology import ConsumerSpec
from shared.db import Connection
from shared.db.batching import Batcher
from shared.db.uow import UnitOfWork
from shared.errors import Forbidden
from shared.events.contracts.intake import (
    AccountActivated,
    AccountDeactivated,
    AccountRemoved,
    ConsentPurpose,
    ParticipantConsentGiven,
    ParticipantConsentWithdrawn,
    ParticipantEmployerChanged,
    ParticipantErased,
)
from shared.events.envelope import Envelope

CACHE_SIZE = 50_000
# Roles whose party is the account itself (people acting for no organisation).
STAFF_ROLES = (Role.COACH, Role.PROGRAMME_OFFICER, Role.ADMIN)


@dataclass(frozen=True)
class Account:
    """One account of the registry."""

    id: str
    role: Role
    party: str
    region: str
    active: bool
    language: str | None = None


def _account(row: asyncpg.Record) -> Account:
    return Account(
        id=row["id"],
        role=Role(row["role"]),
        party=row["party"],
        region=row["region"],
        active=row["active"],
        language=row["language"],
    )


# --- storage (the same in the owner, intake, and in every copy) ---


async def get_account(conn: Connection, account_id: str, *, for_update: bool = False) -> Account | None:
    """One account, or None."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT * FROM accounts WHERE id = $1{lock}", account_id)
    return None if row is None else _account(row)


async def put_account(conn: Connection, account: Account) -> None:
    """Create or replace an account."""
    await conn.execute(
        "INSERT INTO accounts (id, role, party, region, active, language) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (id) DO UPDATE SET role = $2, party = $3, region = $4, active = $5, language = $6,"
        " updated_at = now()",
        account.id,
        account.role.value,
        account.party,
        account.region,
        account.active,
        account.language,
    )


async def set_active(conn: Connection, account_id: str, active: bool) -> None:
    """Activate or deactivate an account (no effect on an unknown one)."""
    await conn.execute("UPDATE accounts SET active = $2, updated_at = now() WHERE id = $1", account_id, active)


async def remove_account(conn: Connection, account_id: str) -> None:
    """Forget an account."""
    await conn.execute("DELETE FROM accounts WHERE id = $1", account_id)


async def accounts_of_party(conn: Connection, role: Role, party: str) -> list[Account]:
    """The accounts acting for one party (an employer's or provider's users, a participant's own)."""
    rows = await conn.fetch("SELECT * FROM accounts WHERE role = $1 AND party = $2 ORDER BY id", role.value, party)
    return [_account(r) for r in rows]


async def link_employer(conn: Connection, participant_id: uuid.UUID, employer_id: uuid.UUID, kind: str) -> None:
    """The employer may act for the participant (``employee`` or ``consent``)."""
    await conn.execute(
        "INSERT INTO employer_links (participant_id, employer_id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        participant_id,
        employer_id,
        kind,
    )


async def unlink_employer(
    conn: Connection, participant_id: uuid.UUID, kind: str, employer_id: uuid.UUID | None = None
) -> None:
    """Drop a link of one kind: with one employer, or (``employer_id`` None) with every employer."""
    await conn.execute(
        "DELETE FROM employer_links WHERE participant_id = $1 AND kind = $2 AND ($3::uuid IS NULL OR employer_id = $3)",
        participant_id,
        kind,
        employer_id,
    )


async def employer_may_act_for(conn: Connection, employer_id: uuid.UUID, participant_id: uuid.UUID) -> bool:
    """True when the participant is the employer's employee or consented to share with it."""
    found = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM employer_links WHERE participant_id = $1 AND employer_id = $2)",
        participant_id,
        employer_id,
    )
    return bool(found)


async def forget_participant(conn: Connection, participant_id: uuid.UUID) -> list[str]:
    """Delete a participant's accounts and employer links; the ids of the accounts deleted."""
    await conn.execute("DELETE FROM employer_links WHERE participant_id = $1", participant_id)
    rows = await conn.fetch(
        "DELETE FROM accounts WHERE role = 'participant' AND party = $1 RETURNING id", str(participant_id)
    )
    return [r["id"] for r in rows]


# --- the check of every request ---


def party_uuid(principal: Principal) -> uuid.UUID:
    """The caller's party as a UUID (participants, employers, providers).

    A staff account's party is its account id, which need not be a UUID: such a caller gets
    the nil UUID, which matches nothing, rather than an error.
    """
    try:
        return uuid.UUID(principal.party or "")
    except ValueError:
        return uuid.UUID(int=0)


async def get_accounts(conn: Connection, account_ids: Sequence[str]) -> list[Account | None]:
    """Each account of ``account_ids`` (None where there is none), in order."""
    rows = await conn.fetch(
        "SELECT a.* FROM unnest($1::text[]) WITH ORDINALITY AS q(id, n) LEFT JOIN accounts a ON a.id = q.id"
        " ORDER BY q.n",
        list(account_ids),
    )
    return [None if r["id"] is None else _account(r) for r in rows]


class AccountRegistry:
    """Resolves a signed-in identity to an active account of this region, with a short cache.

    Under a rush (thousands of people signing in at once) the look-ups that miss the cache go
    to the database together, one statement per group (:class:`shared.db.batching.Batcher`).
    """

    def __init__(self, region: str, ttl_seconds: float) -> None:
        self.region = region
        self.ttl_seconds = ttl_seconds
        self.pool: asyncpg.Pool | None = None
        self._cache: dict[str, tuple[Account | None, float]] = {}
        self._misses: Batcher[str, Account | None] = Batcher(self._fetch, max_size=256, max_in_flight=2)

    async def _fetch(self, account_ids: Sequence[str]) -> list[Account | None]:
        if self.pool is None:
            raise RuntimeError("the accounts registry is used before the service started")
        async with self.pool.acquire() as conn:
            return await get_accounts(conn, account_ids)

    def forget(self, account_ids: Iterable[str]) -> None:
        """Drop cached lookups (after this process changed the accounts)."""
        for account_id in account_ids:
            self._cache.pop(account_id, None)

    async def lookup(self, account_id: str) -> Account | None:
        """The account, from the cache when it is fresh enough."""
        now = time.monotonic()
        hit = self._cache.get(account_id)
        if hit is not None and hit[1] > now:
            return hit[0]
        account = await self._misses.submit(account_id)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[account_id] = (account, now + self.ttl_seconds)
        return account

    async def principal(self, identity: Identity) -> Principal:
        """The caller as an account may act; :class:`Forbidden` (403) when it may not."""
        account = await self.lookup(identity.sub)
        return principal_of(identity, account, self.region)


def principal_of(identity: Identity, account: Account | None, region: str) -> Principal:
    """The principal of a signed-in identity with its account; 403 for no, a foreign or an inactive account."""
    if account is None:
        raise Forbidden(
            f"there is no Regionet account for the sign-in {identity.sub!r}: claim an invitation"
            " (POST /accounts/claim at intake) or ask an administrator for one"
        )
    if not account.active:
        raise Forbidden(f"the account {account.id!r} is deactivated; ask an administrator to reactivate it")
    if account.region != region:
        raise Forbidden(f"the account {account.id!r} belongs to region {account.region!r}, this is {region!r}")
    if identity.role is not None and identity.role is not account.role:
        raise Forbidden(
            f"the token claims the role {identity.role.value}, but the account {account.id!r}"
            f" is a {account.role.value} account"
        )
    return Principal(sub=account.id, role=account.role, region=account.region, party=account.party)


# --- keeping a copy: the shared subscriber ---


async def on_account_activated(uow: UnitOfWork, event: Envelope) -> None:
    """account.activated: the account's whole current state."""
    data = event.parse(AccountActivated)
    language = data.language.value if data.language else None
    account = Account(data.account_id, data.role, data.party, event.region, active=True, language=language)
    await put_account(uow.conn, account)


async def on_account_deactivated(uow: UnitOfWork, event: Envelope) -> None:
    """account.deactivated: refused from now on."""
    await set_active(uow.conn, event.parse(AccountDeactivated).account_id, False)


async def on_account_removed(uow: UnitOfWork, event: Envelope) -> None:
    """account.removed: forgotten."""
    await remove_account(uow.conn, event.parse(AccountRemoved).account_id)


async def on_consent(uow: UnitOfWork, event: Envelope) -> None:
    """Consent to share with an employer links the two; withdrawing it unlinks them."""
    given = event.type == ParticipantConsentGiven.spec.name
    data: ParticipantConsentGiven | ParticipantConsentWithdrawn = (
        event.parse(ParticipantConsentGiven) if given else event.parse(ParticipantConsentWithdrawn)
    )
    if data.purpose is not ConsentPurpose.SHARE_WITH_EMPLOYER or data.employer_id is None:
        return
    if given:
        await link_employer(uow.conn, data.participant_id, data.employer_id, "consent")
    else:
        await unlink_employer(uow.conn, data.participant_id, "consent", data.employer_id)


async def on_employer_changed(uow: UnitOfWork, event: Envelope) -> None:
    """A participant's employer: the one employee link they have."""
    data = event.parse(ParticipantEmployerChanged)
    await unlink_employer(uow.conn, data.participant_id, "employee")
    if data.employer_id is not None:
        await link_employer(uow.conn, data.participant_id, data.employer_id, "employee")


async def on_participant_erased(uow: UnitOfWork, event: Envelope) -> None:
    """Nothing links an account or an employer to an erased participant any more."""
    await forget_participant(uow.conn, event.parse(ParticipantErased).participant_id)


def registry_subscriber(service: str) -> Subscriber:
    """The durable consumer that keeps ``service``'s copy of the accounts registry."""
    participant = "{region}.intake.participant"
    return Subscriber(
        ConsumerSpec(
            service=service,
            durable=f"{service}-accounts",
            stream="INTAKE",
            filter_subjects=(
                "{region}.intake.account.>",
                f"{participant}.consent_given.>",
                f"{participant}.consent_withdrawn.>",
                f"{participant}.employer_changed.>",
                f"{participant}.erased.>",
            ),
            description="Keeps the accounts registry and employer links (who may act, for whom)",
        ),
        handlers={
            AccountActivated.spec.key: on_account_activated,
            AccountDeactivated.spec.key: on_account_deactivated,
            AccountRemoved.spec.key: on_account_removed,
            ParticipantConsentGiven.spec.key: on_consent,
            ParticipantConsentWithdrawn.spec.key: on_consent,
            ParticipantEmployerChanged.spec.key: on_employer_changed,
            ParticipantErased.spec.key: on_participant_erased,
        },
    )
