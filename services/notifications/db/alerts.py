"""Officer alerts about the platform itself: whether one is due (see migration 008)."""

from __future__ import annotations

from datetime import timedelta

from shared.db import Connection


async def claim(conn: Connection, kind: str, waiting: int, *, repeat_after: timedelta) -> bool:
    """True when an alert of ``kind`` about ``waiting`` things is due now, recorded as sent (caller's transaction).

    Due when something waits and nothing did at the last check (the first letter after a clear
    queue alerts at once), or when more wait than at the last alert and that alert is at least
    ``repeat_after`` old. When nothing waits, the next arrival alerts again at once. Of replicas
    checking at the same moment, one gets True.
    """
    if waiting == 0:
        await conn.execute("UPDATE officer_alerts SET waiting = 0 WHERE kind = $1", kind)
        return False
    due: bool | None = await conn.fetchval(
        "INSERT INTO officer_alerts AS a (kind, waiting, alerted_at) VALUES ($1, $2, now())"
        " ON CONFLICT (kind) DO UPDATE SET waiting = excluded.waiting, alerted_at = now()"
        " WHERE a.waiting = 0 OR (excluded.waiting > a.waiting AND a.alerted_at <= now() - $3::interval)"
        " RETURNING true",
        kind,
        waiting,
        repeat_after,
    )
    return bool(due)
