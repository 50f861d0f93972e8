"""Counts of participants for programme officers: aggregates, never records."""

from __future__ import annotations

from datetime import date

from shared.db import Connection


async def participant_counts(conn: Connection) -> dict[str, dict[str, int]]:
    """Counts of participants per status, situation, language and declared target group."""
    result: dict[str, dict[str, int]] = {}
    for dimension in ("status", "situation", "preferred_language"):
        rows = await conn.fetch(f"SELECT {dimension} AS k, count(*) AS n FROM participants GROUP BY 1")
        result[dimension] = {r["k"]: r["n"] for r in rows}
    # Target groups are counted only for participants whose latest reporting decision is a 'given'.
    rows = await conn.fetch(
        "SELECT tg AS k, count(*) AS n FROM participants p CROSS JOIN LATERAL unnest(p.target_groups) tg"
        " WHERE (SELECT c.given FROM consent_records c WHERE c.participant_id = p.id"
        " AND c.purpose = 'anonymous_reporting' ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1)"
        " GROUP BY 1"
    )
    result["target_group"] = {r["k"]: r["n"] for r in rows}
    return result


async def birth_date_counts(conn: Connection) -> list[tuple[date | None, int]]:
    """How many participants share each birth date (for age-band counts; never shown as such)."""
    rows = await conn.fetch("SELECT birth_date, count(*) AS n FROM participants GROUP BY 1")
    return [(r["birth_date"], r["n"]) for r in rows]
