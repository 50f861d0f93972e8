"""Counts of participants for programme officers: aggregates, never records."""

from __future__ import annotations

from datetime import date

from services.intake.vault import Vault
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


async def birth_dates(conn: Connection, vault: Vault) -> tuple[list[date], int]:
    """Every known birth date (for age-band counts; never shown as such) and how many are unknown.

    Birth dates are sealed per person, so each is opened with its own key.
    """
    rows = await conn.fetch(
        "SELECT p.id, p.birth_date_sealed, k.wrapped_key FROM participants p"
        " JOIN participant_keys k ON k.participant_id = p.id WHERE p.birth_date_sealed IS NOT NULL"
    )
    unknown: int = await conn.fetchval("SELECT count(*) FROM participants WHERE birth_date_sealed IS NULL")
    known = []
    for r in rows:
        text = vault.unwrap(r["id"], r["wrapped_key"]).open("birth_date", r["birth_date_sealed"])
        known.append(date.fromisoformat(str(text)))
    return known, unknown
