"""Each account's preferences: opt-outs per channel and category, the daily digest, quiet hours."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import time

import asyncpg

from services.notifications.domain import Preferences
from shared.db import Connection


def _preferences(row: asyncpg.Record) -> Preferences:
    return Preferences(
        opted_out={channel: frozenset(categories) for channel, categories in row["opted_out"].items()},
        email_digest=row["email_digest"],
        quiet_from=row["quiet_from"],
        quiet_until=row["quiet_until"],
    )


async def of_accounts(conn: Connection, accounts: Sequence[str]) -> dict[str, Preferences]:
    """The preferences of those accounts that set any (the others want everything, at once)."""
    rows = await conn.fetch("SELECT * FROM preferences WHERE account = ANY($1::text[])", list(set(accounts)))
    return {r["account"]: _preferences(r) for r in rows}


async def save(
    conn: Connection,
    account: str,
    *,
    opted_out: Mapping[str, Sequence[str]],
    email_digest: bool,
    quiet_from: time | None,
    quiet_until: time | None,
) -> Preferences:
    """Replace an account's preferences."""
    row = await conn.fetchrow(
        "INSERT INTO preferences (account, opted_out, email_digest, quiet_from, quiet_until)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account) DO UPDATE SET opted_out = excluded.opted_out,"
        " email_digest = excluded.email_digest, quiet_from = excluded.quiet_from,"
        " quiet_until = excluded.quiet_until, updated_at = now() RETURNING *",
        account,
        {channel: sorted(set(categories)) for channel, categories in opted_out.items()},
        email_digest,
        quiet_from,
        quiet_until,
    )
    assert row is not None
    return _preferences(row)
