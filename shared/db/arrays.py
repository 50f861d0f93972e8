"""Many rows in one statement: rows turned into one array per column for ``unnest``.

``INSERT … SELECT … FROM unnest($1::text[], $2::uuid[], …)`` writes a whole batch in one
statement, where ``executemany`` runs the statement once per row: Postgres plans and executes
it once instead of thousands of times, and a statement-level trigger fires once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def columns(rows: Iterable[Sequence[Any]], width: int) -> list[list[Any]]:
    """``width`` lists, the i-th holding every row's i-th value (empty lists when there are no rows)."""
    found = [list(column) for column in zip(*rows, strict=True)]
    if not found:
        return [[] for _ in range(width)]
    if len(found) != width:
        raise ValueError(f"rows have {len(found)} values each, not {width}")
    return found
