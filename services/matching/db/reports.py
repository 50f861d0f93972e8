"""What the fairness report counts: each candidate with matching consent and their proposals' outcomes; and the
flags it raised, once per group and period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import asyncpg

from shared.db import Connection


async def outcomes(conn: Connection) -> list[asyncpg.Record]:
    """Per candidate with matching consent: target groups, proposals, employer answers, first placement.

    An employer's answer is 'interested' or a decline for the employer's reasons: a candidate who says
    no (``candidate_declined``) is not an employer turning them down, so it is no answer at all here.
    """
    rows: list[asyncpg.Record] = await conn.fetch(
        "WITH answers AS ("
        "  SELECT proposal_id, bool_or(status = 'interested') AS accepted,"
        "         bool_or(status = 'interested'"
        "                 OR (status = 'declined' AND reason IS DISTINCT FROM 'candidate_declined')) AS answered"
        "  FROM proposal_steps GROUP BY proposal_id)"
        " SELECT c.participant_id, c.target_groups, c.registered_at, count(p.id) AS proposals,"
        "  count(p.id) FILTER (WHERE a.answered) AS answered, count(p.id) FILTER (WHERE a.accepted) AS accepted,"
        "  min(p.placed_at) AS placed_at"
        " FROM candidates c LEFT JOIN proposals p ON p.participant_id = c.participant_id"
        " LEFT JOIN answers a ON a.proposal_id = p.id"
        " WHERE c.matching_consent GROUP BY c.participant_id"
    )
    return rows


async def target_groups(conn: Connection) -> dict[str, frozenset[str]]:
    """Each candidate's declared target groups (only those who declared any), for reserved places on a plan."""
    rows = await conn.fetch("SELECT participant_id, target_groups FROM candidates WHERE target_groups <> '{}'")
    return {str(r["participant_id"]): frozenset(r["target_groups"]) for r in rows}


async def raise_flag(conn: Connection, group: str, period: str, metrics: Sequence[str], at: dt.datetime) -> bool:
    """Record a group's fairness flag for ``period``; False when it was raised in that period already."""
    raised = await conn.fetchval(
        "INSERT INTO fairness_flags (group_name, period, metrics, flagged_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING RETURNING true",
        group,
        period,
        list(metrics),
        at,
    )
    return bool(raised)
