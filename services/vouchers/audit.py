"""The money audit: does every category balance, and does the ledger explain every cent?

Used by the ledger endpoint, the tests and the opening-rush benchmark. An empty list means
that, per programme and category, reserved + redeemed + available = budget, nothing is
negative, the ledger's deltas add up to the balances, and the applications holding money hold
exactly what the category says is reserved and redeemed.
"""

from __future__ import annotations

import uuid

from shared.db import Connection

_CHECK = """
WITH l AS (
    SELECT category, sum(d_budget) AS budget, sum(d_available) AS available, sum(d_reserved) AS reserved,
           sum(d_redeemed) AS redeemed, sum(d_settled) AS settled
      FROM ledger WHERE programme_id = $1 GROUP BY category
), a AS (
    SELECT category,
           coalesce(sum(amount_cents) FILTER (WHERE reserved), 0) AS reserved,
           coalesce(sum(paid_cents) FILTER (WHERE status IN ('redeemed', 'settled')), 0) AS redeemed,
           coalesce(sum(paid_cents) FILTER (WHERE status = 'settled'), 0) AS settled
      FROM applications WHERE programme_id = $1 GROUP BY category
)
SELECT c.code, c.budget_cents, c.available_cents, c.reserved_cents, c.redeemed_cents, c.settled_cents,
       l.budget AS l_budget, l.available AS l_available, l.reserved AS l_reserved, l.redeemed AS l_redeemed,
       l.settled AS l_settled,
       coalesce(a.reserved, 0) AS a_reserved, coalesce(a.redeemed, 0) AS a_redeemed,
       coalesce(a.settled, 0) AS a_settled
  FROM categories c
  LEFT JOIN l ON l.category = c.code
  LEFT JOIN a ON a.category = c.code
 WHERE c.programme_id = $1
 ORDER BY c.position
"""


async def audit(conn: Connection, programme_id: uuid.UUID) -> list[str]:
    """Every way in which a programme's money does not add up (empty when it does)."""
    problems: list[str] = []
    for r in await conn.fetch(_CHECK, programme_id):
        code = r["code"]
        if r["reserved_cents"] + r["redeemed_cents"] + r["available_cents"] != r["budget_cents"]:
            problems.append(f"{code}: reserved + redeemed + available != budget")
        if min(r["available_cents"], r["reserved_cents"], r["redeemed_cents"]) < 0:
            problems.append(f"{code}: a balance is negative")
        for bucket in ("budget", "available", "reserved", "redeemed", "settled"):
            if r[f"l_{bucket}"] != r[f"{bucket}_cents"]:
                problems.append(
                    f"{code}: ledger says {bucket} {r[f'l_{bucket}']}, category says {r[f'{bucket}_cents']}"
                )
        for bucket in ("reserved", "redeemed", "settled"):
            if r[f"a_{bucket}"] != r[f"{bucket}_cents"]:
                problems.append(
                    f"{code}: applications hold {bucket} {r[f'a_{bucket}']}, category says {r[f'{bucket}_cents']}"
                )
    return problems
