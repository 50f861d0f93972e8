"""Money in a programme's categories. Every move goes through the SQL function ``move_money``
(``migrations/R_functions.sql``), which changes a category row and appends its ledger row together.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import asyncpg

from shared.db import Connection


@dataclass(frozen=True)
class Money:
    """A category's balances right after a change."""

    budget_cents: int
    available_cents: int
    reserved_cents: int
    redeemed_cents: int
    voucher_amount_cents: int
    alerted_pct: int

    @classmethod
    def of(cls, row: asyncpg.Record) -> Money:
        """The balances in a row with the columns of ``categories``."""
        return cls(
            budget_cents=row["budget_cents"],
            available_cents=row["available_cents"],
            reserved_cents=row["reserved_cents"],
            redeemed_cents=row["redeemed_cents"],
            voucher_amount_cents=row["voucher_amount_cents"],
            alerted_pct=row["alerted_pct"],
        )


class MoneyMove(NamedTuple):
    """One move of money in one category: the ``money_move`` type of ``R_functions.sql``, field for field.

    The deltas follow the ledger's columns; the move happens only if the category has at
    least ``need_available`` cents available.
    """

    programme_id: uuid.UUID
    category: str
    kind: str
    amount_cents: int
    application_id: uuid.UUID | None = None
    d_budget: int = 0
    d_available: int = 0
    d_reserved: int = 0
    d_redeemed: int = 0
    d_settled: int = 0
    need_available: int = 0
    note: str | None = None
    actor: str | None = None

    @classmethod
    def reservation(cls, application: Any, *, actor: str) -> MoneyMove:
        """Reserve an application's amount in its category, if that much is available."""
        amount = int(application["amount_cents"])
        return cls(
            application["programme_id"],
            application["category"],
            "reserve",
            amount,
            application["id"],
            d_available=-amount,
            d_reserved=amount,
            need_available=amount,
            actor=actor,
        )


async def move_money(conn: Connection, move: MoneyMove) -> Money | None:
    """Move money with ``move_money`` (``R_functions.sql``): the category row and its ledger entry together.

    Returns the balances after the move, or None when the category had less than
    ``need_available`` cents available (nothing changed then). The table's CHECK constraints
    refuse any move that would unbalance it or make a balance negative.
    """
    row = await conn.fetchrow("SELECT * FROM move_money($1::money_move)", move)
    return None if row is None else Money.of(row)


async def move_money_in_order(conn: Connection, moves: Sequence[MoneyMove]) -> int:
    """Make many moves with ``move_money`` in one statement, in the order given; returns how many happened."""
    moved: int = await conn.fetchval(
        "SELECT count(*) FROM unnest($1::money_move[]) AS m, LATERAL move_money(m)",
        moves,
    )
    return moved


async def lock_category(conn: Connection, programme_id: uuid.UUID, category: str) -> Money | None:
    """A category's balances, locked until the transaction ends."""
    row = await conn.fetchrow(
        "SELECT * FROM categories WHERE programme_id = $1 AND code = $2 FOR UPDATE", programme_id, category
    )
    return None if row is None else Money.of(row)


async def set_alerted(conn: Connection, programme_id: uuid.UUID, category: str, pct: int) -> None:
    """Remember the highest threshold announced (lowered again when a budget raise re-arms it)."""
    await conn.execute(
        "UPDATE categories SET alerted_pct = $3 WHERE programme_id = $1 AND code = $2", programme_id, category, pct
    )
