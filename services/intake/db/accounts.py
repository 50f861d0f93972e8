"""Accounts (the shared registry table, owned here) and invitations to become one."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.intake.db.rows import Row, one
from shared.db import Connection


async def list_accounts(
    conn: Connection, *, role: str | None, party: str | None, after: str | None, limit: int
) -> list[Row]:
    """Accounts by id, optionally of one role and one party."""
    rows: list[Row] = await conn.fetch(
        "SELECT * FROM accounts WHERE ($1::text IS NULL OR role = $1) AND ($2::text IS NULL OR party = $2)"
        " AND ($3::text IS NULL OR id > $3) ORDER BY id LIMIT $4",
        role,
        party,
        after,
        limit,
    )
    return rows


async def active_admins(conn: Connection) -> int:
    """How many active administrator accounts there are."""
    n: int = await conn.fetchval("SELECT count(*) FROM accounts WHERE role = 'admin' AND active")
    return n


async def insert_invitation(
    conn: Connection,
    *,
    code_hash: str,
    role: str,
    party: str | None,
    language: str | None,
    invited_by: str,
    expires_at: datetime,
) -> Row:
    """Record an invitation (its code only as a hash)."""
    row: Row | None = await conn.fetchrow(
        "INSERT INTO invitations (id, code_hash, role, party, language, invited_by, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        uuid.uuid4(),
        code_hash,
        role,
        party,
        language,
        invited_by,
        expires_at,
    )
    return one(row)


async def invitation_by_code(conn: Connection, code_hash: str) -> Row | None:
    """The invitation with this code, locked until the transaction ends."""
    row: Row | None = await conn.fetchrow("SELECT * FROM invitations WHERE code_hash = $1 FOR UPDATE", code_hash)
    return row


async def get_invitation(conn: Connection, invitation_id: uuid.UUID) -> Row | None:
    """One invitation, locked until the transaction ends."""
    row: Row | None = await conn.fetchrow("SELECT * FROM invitations WHERE id = $1 FOR UPDATE", invitation_id)
    return row


async def list_invitations(
    conn: Connection, *, role: str | None, party: str | None, invited_by: str | None, limit: int
) -> list[Row]:
    """Invitations, newest first, optionally of one role and party, or sent by one account."""
    rows: list[Row] = await conn.fetch(
        "SELECT * FROM invitations WHERE ($1::text IS NULL OR role = $1) AND ($2::text IS NULL OR party = $2)"
        " AND ($3::text IS NULL OR invited_by = $3) ORDER BY created_at DESC, id LIMIT $4",
        role,
        party,
        invited_by,
        limit,
    )
    return rows


async def mark_claimed(conn: Connection, invitation_id: uuid.UUID, account_id: str) -> None:
    """The invitation became an account."""
    await conn.execute(
        "UPDATE invitations SET claimed_by = $2, claimed_at = now() WHERE id = $1", invitation_id, account_id
    )


async def revoke(conn: Connection, invitation_id: uuid.UUID) -> None:
    """The invitation can no longer be claimed."""
    await conn.execute("UPDATE invitations SET revoked_at = now() WHERE id = $1", invitation_id)


async def forget_invitations_of(conn: Connection, party: str) -> None:
    """Delete a participant's invitations (on erasure)."""
    await conn.execute("DELETE FROM invitations WHERE role = 'participant' AND party = $1", party)
