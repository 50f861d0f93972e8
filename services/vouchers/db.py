"""SQL of the vouchers service (asyncpg). Every change of money goes through the SQL function
``move_money`` (:func:`move_money`, and ``apply_batch`` inside :func:`file_applications`), which
updates a category row and appends to the ledger together."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
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


def _money(row: asyncpg.Record) -> Money:
    return Money(
        budget_cents=row["budget_cents"],
        available_cents=row["available_cents"],
        reserved_cents=row["reserved_cents"],
        redeemed_cents=row["redeemed_cents"],
        voucher_amount_cents=row["voucher_amount_cents"],
        alerted_pct=row["alerted_pct"],
    )


# ---------------------------------------------------------------- read model (from intake)


async def upsert_participant(
    conn: Connection,
    participant_id: uuid.UUID,
    *,
    situation: str,
    age_group: str,
    target_groups: Sequence[str],
    coach_id: str | None,
) -> None:
    """Remember what vouchers needs to know about a participant."""
    await conn.execute(
        "INSERT INTO participants (id, situation, age_group, target_groups, coach_id) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (id) DO UPDATE SET situation = $2, age_group = $3, target_groups = $4, coach_id = $5,"
        " updated_at = now()",
        participant_id,
        situation,
        age_group,
        list(target_groups),
        coach_id,
    )


async def upsert_participants(
    conn: Connection, rows: Sequence[tuple[uuid.UUID, str, str, list[str], str | None]]
) -> None:
    """Bulk form of :func:`upsert_participant` (imports and benchmarks)."""
    await conn.executemany(
        "INSERT INTO participants (id, situation, age_group, target_groups, coach_id) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (id) DO UPDATE SET situation = $2, age_group = $3, target_groups = $4, coach_id = $5",
        rows,
    )


async def set_participant_field(conn: Connection, participant_id: uuid.UUID, field: str, value: Any) -> None:
    """Change one column of a known participant (``situation`` or ``coach_id``)."""
    if field not in ("situation", "coach_id"):
        raise ValueError(f"not a participant field: {field}")
    await conn.execute(f"UPDATE participants SET {field} = $2, updated_at = now() WHERE id = $1", participant_id, value)


async def open_applications_of(conn: Connection, participant_id: uuid.UUID) -> list[uuid.UUID]:
    """A participant's applications that wait for money or a draw."""
    rows = await conn.fetch(
        "SELECT id FROM applications WHERE participant_id = $1 AND status IN ('submitted', 'waitlisted') ORDER BY seq",
        participant_id,
    )
    return [r["id"] for r in rows]


async def lock_participant(conn: Connection, participant_id: uuid.UUID) -> None:
    """Lock a participant's read-model row for the transaction: filings of them wait, or see them gone."""
    await conn.execute("SELECT 1 FROM participants WHERE id = $1 FOR UPDATE", participant_id)


async def erase_participant(conn: Connection, participant_id: uuid.UUID) -> uuid.UUID:
    """Cut every link to a participant but keep the money trail under a fresh pseudonym."""
    pseudonym = uuid.uuid4()
    await conn.execute(
        "DELETE FROM idempotency_keys WHERE principal = $1"
        " OR application_id IN (SELECT id FROM applications WHERE participant_id = $2)",
        str(participant_id),
        participant_id,
    )
    await conn.execute(
        "UPDATE applications SET participant_id = $2, target_groups = '{}',"
        " submitted_by = CASE WHEN submitted_by_role = 'participant' THEN NULL ELSE submitted_by END,"
        " updated_at = now() WHERE participant_id = $1",
        participant_id,
        pseudonym,
    )
    await conn.execute("UPDATE holdings SET participant_id = $2 WHERE participant_id = $1", participant_id, pseudonym)
    await conn.execute(
        "UPDATE yearly_holdings SET participant_id = $2 WHERE participant_id = $1", participant_id, pseudonym
    )
    await conn.execute("DELETE FROM participants WHERE id = $1", participant_id)
    return pseudonym


async def forget_target_groups(conn: Connection, participant_id: uuid.UUID) -> None:
    """Drop a person's declared target groups from the read model and from their applications."""
    await conn.execute("UPDATE participants SET target_groups = '{}', updated_at = now() WHERE id = $1", participant_id)
    await conn.execute(
        "UPDATE applications SET target_groups = '{}', updated_at = now()"
        " WHERE participant_id = $1 AND target_groups <> '{}'",
        participant_id,
    )


async def upsert_employer(conn: Connection, employer_id: uuid.UUID, *, size_class: str, sector: str) -> None:
    """Remember an employer's size class and sector."""
    await conn.execute(
        "INSERT INTO employers (id, size_class, sector) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO UPDATE SET size_class = $2, sector = $3, updated_at = now()",
        employer_id,
        size_class,
        sector,
    )


async def upsert_provider(conn: Connection, provider_id: uuid.UUID, *, accredited: bool) -> None:
    """Remember a provider."""
    await conn.execute(
        "INSERT INTO providers (id, accredited) VALUES ($1, $2)"
        " ON CONFLICT (id) DO UPDATE SET accredited = $2, updated_at = now()",
        provider_id,
        accredited,
    )


async def upsert_course(
    conn: Connection, course_id: uuid.UUID, *, provider_id: uuid.UUID, title: str, price_cents: int
) -> None:
    """Remember a course and its price."""
    await conn.execute(
        "INSERT INTO courses (id, provider_id, title, price_cents) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (id) DO UPDATE SET provider_id = $2, title = $3, price_cents = $4, updated_at = now()",
        course_id,
        provider_id,
        title,
        price_cents,
    )


async def applicant_contexts(
    conn: Connection, wanted: Sequence[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]]
) -> list[asyncpg.Record]:
    """Per (participant, course, employer): what the read model knows of them, nulls if unknown; in order."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT p.id AS participant_id, p.situation, p.coach_id, p.target_groups,"
        " c.id AS course_id, c.provider_id, c.price_cents, coalesce(pr.accredited, false) AS provider_accredited,"
        " e.id AS employer_id, e.size_class"
        " FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS q(participant, course, employer, n)"
        " LEFT JOIN participants p ON p.id = q.participant"
        " LEFT JOIN courses c ON c.id = q.course"
        " LEFT JOIN providers pr ON pr.id = c.provider_id"
        " LEFT JOIN employers e ON e.id = q.employer"
        " ORDER BY q.n",
        [w[0] for w in wanted],
        [w[1] for w in wanted],
        [w[2] for w in wanted],
    )
    return rows


# ---------------------------------------------------------------- programmes


async def insert_programme(conn: Connection, **values: Any) -> None:
    """Store a programme (its categories separately)."""
    columns = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    await conn.execute(f"INSERT INTO programmes ({columns}) VALUES ({params})", *values.values())


async def insert_category(
    conn: Connection,
    *,
    programme_id: uuid.UUID,
    code: str,
    name: str,
    position: int,
    voucher_amount_cents: int,
    eligible_situations: Sequence[str],
    budget_cents: int,
    actor: str,
) -> None:
    """Store a category, then fund it with its opening budget through the ledger."""
    await conn.execute(
        "INSERT INTO categories (programme_id, code, name, position, voucher_amount_cents, eligible_situations,"
        " budget_cents, available_cents) VALUES ($1, $2, $3, $4, $5, $6, 0, 0)",
        programme_id,
        code,
        name,
        position,
        voucher_amount_cents,
        list(eligible_situations),
    )
    opening = MoneyMove(
        programme_id,
        code,
        "budget",
        budget_cents,
        d_budget=budget_cents,
        d_available=budget_cents,
        note="opening budget",
        actor=actor,
    )
    await move_money(conn, opening)


async def get_programme(conn: Connection, programme_id: uuid.UUID) -> asyncpg.Record | None:
    """One programme, or None."""
    row: asyncpg.Record | None = await conn.fetchrow("SELECT * FROM programmes WHERE id = $1", programme_id)
    return row


async def list_programmes(conn: Connection) -> list[asyncpg.Record]:
    """Every programme, newest first."""
    rows: list[asyncpg.Record] = await conn.fetch("SELECT * FROM programmes ORDER BY created_at DESC")
    return rows


async def get_categories(conn: Connection, programme_id: uuid.UUID) -> list[asyncpg.Record]:
    """A programme's categories with their balances, in the officer's order."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM categories WHERE programme_id = $1 ORDER BY position", programme_id
    )
    return rows


async def set_draw(conn: Connection, programme_id: uuid.UUID, draw: dict[str, Any]) -> bool:
    """Record a programme's draw once; False if it was drawn already."""
    status: str = await conn.execute(
        "UPDATE programmes SET draw = $2, drawn_at = now() WHERE id = $1 AND drawn_at IS NULL", programme_id, draw
    )
    return status.endswith(" 1")


# ---------------------------------------------------------------- money


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


async def move_money(conn: Connection, move: MoneyMove) -> Money | None:
    """Move money with ``move_money`` (``R_functions.sql``): the category row and its ledger entry together.

    Returns the balances after the move, or None when the category had less than
    ``need_available`` cents available (nothing changed then). The table's CHECK constraints
    refuse any move that would unbalance it or make a balance negative.
    """
    row = await conn.fetchrow("SELECT * FROM move_money($1::money_move)", move)
    return None if row is None else _money(row)


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
    return None if row is None else _money(row)


async def set_alerted(conn: Connection, programme_id: uuid.UUID, category: str, pct: int) -> None:
    """Remember the highest threshold announced (lowered again when a budget raise re-arms it)."""
    await conn.execute(
        "UPDATE categories SET alerted_pct = $3 WHERE programme_id = $1 AND code = $2", programme_id, category, pct
    )


@dataclass(frozen=True)
class ApplyOutcome:
    """What filing one application did."""

    known: bool  # False: the participant was erased after the look-up; nothing was filed
    fresh: bool
    within_limits: bool
    reserved: Money | None


class FilingEvent(NamedTuple):
    """An event of one outcome of a filing: the ``filing_event`` type of ``R_functions.sql``."""

    id: uuid.UUID
    subject: str
    payload: bytes
    when_reserved: bool  # belongs to the outcome "money reserved"


class Filing(NamedTuple):
    """One application, checked and ready to be filed by ``apply_batch``: the ``filing`` type of
    ``R_functions.sql``, field for field."""

    principal: str
    idempotency_key: str | None
    request_hash: str
    id: uuid.UUID
    programme_id: uuid.UUID
    participant_id: uuid.UUID
    amount_cents: int
    max_vouchers_per_person: int
    max_cents_per_person: int | None
    max_cents_per_person_per_year: int | None
    category: str
    first_come_first_served: bool
    course_id: uuid.UUID
    provider_id: uuid.UUID
    submitted_by_role: str
    employer_id: uuid.UUID | None
    employer_size: str | None
    target_groups: Sequence[str]
    voucher_id: uuid.UUID
    reserved_status: str
    unreserved_status: str
    at: datetime
    events: Sequence[FilingEvent]  # of both outcomes; the filing keeps those of the one that happened


async def file_applications(conn: Connection, filings: Sequence[Filing]) -> list[ApplyOutcome]:
    """File applications with one call of ``apply_batch`` (``R_functions.sql``), one transaction; one outcome
    each, in order.

    Applications to the same category are decided in the order given. The group is sorted by
    (programme, category) first, so two groups running at once (from two processes) take the
    category rows in the same order and wait for each other instead of deadlocking. Rows of one
    person (holdings, the yearly sum, the participant) are taken item by item, so two groups
    with the same two people in opposite order can still deadlock; Postgres breaks that after
    ``deadlock_timeout`` and the Batcher retries the failed group one application at a time.
    """
    order = sorted(range(len(filings)), key=lambda k: (filings[k].programme_id, filings[k].category))
    rows = await conn.fetch("SELECT * FROM apply_batch($1::filing[])", [filings[k] for k in order])
    outcomes: list[ApplyOutcome | None] = [None] * len(filings)
    for row in rows:
        outcomes[order[row["n"] - 1]] = ApplyOutcome(
            known=row["known"],
            fresh=row["fresh"],
            within_limits=row["held"],
            reserved=_money(row) if row["budget_cents"] is not None else None,
        )
    if any(o is None for o in outcomes):
        raise RuntimeError("apply_batch did not answer for every application")
    return [o for o in outcomes if o is not None]


async def get_idempotent(conn: Connection, principal: str, key: str) -> asyncpg.Record | None:
    """A stored Idempotency-Key with the application it created (if any)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT k.request_hash, k.application_id, a.id AS found FROM idempotency_keys k"
        " LEFT JOIN applications a ON a.id = k.application_id WHERE k.principal = $1 AND k.key = $2",
        principal,
        key,
    )
    return row


# ---------------------------------------------------------------- applications


async def get_application(conn: Connection, application_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    """One application (locked for the transaction when ``lock``)."""
    sql = "SELECT * FROM applications WHERE id = $1" + (" FOR UPDATE" if lock else "")
    row: asyncpg.Record | None = await conn.fetchrow(sql, application_id)
    return row


async def get_by_voucher(conn: Connection, voucher_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    """The application of a voucher (locked for the transaction when ``lock``)."""
    sql = "SELECT * FROM applications WHERE voucher_id = $1" + (" FOR UPDATE" if lock else "")
    row: asyncpg.Record | None = await conn.fetchrow(sql, voucher_id)
    return row


async def update_application(conn: Connection, application_id: uuid.UUID, **values: Any) -> asyncpg.Record:
    """Set columns of an application (already locked by the caller) and return it."""
    sets = ", ".join(f"{column} = ${i}" for i, column in enumerate(values, start=2))
    row = await conn.fetchrow(
        f"UPDATE applications SET {sets}, updated_at = now() WHERE id = $1 RETURNING *",
        application_id,
        *values.values(),
    )
    assert row is not None
    return row


async def release_holding(conn: Connection, row: Any) -> None:
    """Give the slot and cents of a rejected or cancelled application back: in its programme, and in its year."""
    await conn.execute(
        "UPDATE holdings SET count = count - 1, cents = cents - $3 WHERE programme_id = $1 AND participant_id = $2",
        row["programme_id"],
        row["participant_id"],
        row["amount_cents"],
    )
    if row["cap_year"] is not None:  # None only for applications the yearly sums never counted
        await conn.execute(
            "UPDATE yearly_holdings SET cents = cents - $3 WHERE participant_id = $1 AND year = $2",
            row["participant_id"],
            row["cap_year"],
            row["amount_cents"],
        )


async def list_applications(
    conn: Connection,
    *,
    programme_id: uuid.UUID | None = None,
    status: str | None = None,
    participant_id: uuid.UUID | None = None,
    provider_id: uuid.UUID | None = None,
    submitted_by: str | None = None,
    vouchers_only: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[asyncpg.Record]:
    """Applications filtered by what the caller may see."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM applications WHERE ($1::uuid IS NULL OR programme_id = $1)"
        " AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR participant_id = $3)"
        " AND ($4::uuid IS NULL OR provider_id = $4) AND ($5::text IS NULL OR submitted_by = $5)"
        " AND (NOT $6 OR voucher_id IS NOT NULL)"
        " ORDER BY seq LIMIT $7 OFFSET $8",
        programme_id,
        status,
        participant_id,
        provider_id,
        submitted_by,
        vouchers_only,
        limit,
        offset,
    )
    return rows


async def waitlist_candidates(
    conn: Connection, programme_id: uuid.UUID, category: str, max_amount: int, limit: int = 20
) -> list[asyncpg.Record]:
    """Waiting applications whose amount fits, in waiting-list order, with the participant's situation.

    Locked with SKIP LOCKED so concurrent releases hand out different applications.
    """
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT a.*, p.situation FROM applications a LEFT JOIN participants p ON p.id = a.participant_id"
        " WHERE a.programme_id = $1 AND a.category = $2 AND a.status = 'waitlisted' AND a.amount_cents <= $3"
        " ORDER BY a.draw_rank NULLS LAST, a.seq LIMIT $4 FOR UPDATE OF a SKIP LOCKED",
        programme_id,
        category,
        max_amount,
        limit,
    )
    return rows


async def unfunded_for_draw(conn: Connection, programme_id: uuid.UUID) -> list[asyncpg.Record]:
    """Applications waiting for the lottery, locked."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM applications WHERE programme_id = $1 AND status = 'submitted' AND NOT reserved"
        " ORDER BY seq FOR UPDATE",
        programme_id,
    )
    return rows


async def programmes_with_open_items_due(conn: Connection, now: datetime) -> list[uuid.UUID]:
    """Programmes past their redemption deadline that still have unclaimed vouchers or open applications."""
    rows = await conn.fetch(
        "SELECT p.id FROM programmes p WHERE p.redeem_by <= $1 AND EXISTS ("
        " SELECT 1 FROM applications a WHERE a.programme_id = p.id"
        " AND a.status IN ('voucher_issued', 'waitlisted', 'submitted'))",
        now,
    )
    return [r["id"] for r in rows]


async def due_for_expiry(conn: Connection, programme_id: uuid.UUID) -> list[asyncpg.Record]:
    """Issued vouchers and waiting applications of a programme, locked (skipping ones in use)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM applications WHERE programme_id = $1"
        " AND status IN ('voucher_issued', 'waitlisted', 'submitted') ORDER BY seq FOR UPDATE SKIP LOCKED",
        programme_id,
    )
    return rows


async def ledger(conn: Connection, programme_id: uuid.UUID, *, after_seq: int, limit: int) -> list[asyncpg.Record]:
    """Ledger entries of a programme in order."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT * FROM ledger WHERE programme_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        programme_id,
        after_seq,
        limit,
    )
    return rows


async def ledger_totals(conn: Connection, programme_id: uuid.UUID) -> dict[str, dict[str, int]]:
    """Per category, the sums of the ledger's deltas: what the balances must be."""
    rows = await conn.fetch(
        "SELECT category, sum(d_budget)::bigint AS budget, sum(d_available)::bigint AS available,"
        " sum(d_reserved)::bigint AS reserved, sum(d_redeemed)::bigint AS redeemed,"
        " sum(d_settled)::bigint AS settled, count(*) AS entries"
        " FROM ledger WHERE programme_id = $1 GROUP BY category",
        programme_id,
    )
    fields = ("budget", "available", "reserved", "redeemed", "settled", "entries")
    return {r["category"]: {k: int(r[k]) for k in fields} for r in rows}


async def burn_down_series(conn: Connection, programme_id: uuid.UUID, bucket: str) -> list[asyncpg.Record]:
    """Per category and time bucket, the last balance in that bucket."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT DISTINCT ON (category, t) category, date_trunc($2, at) AS t, budget_after, available_after"
        " FROM ledger WHERE programme_id = $1 ORDER BY category, t, seq DESC",
        programme_id,
        bucket,
    )
    return rows


async def outcome_rows(conn: Connection, programme_id: uuid.UUID) -> list[asyncpg.Record]:
    """Per category, in order: its balances, and how many applications, vouchers and redemptions it has and
    how many different people are behind each count."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT c.code, c.budget_cents, c.available_cents, c.reserved_cents, c.redeemed_cents, c.settled_cents,"
        " count(a.id) AS applications, count(DISTINCT a.participant_id) AS people,"
        " count(a.voucher_id) AS vouchers_issued,"
        " count(DISTINCT a.participant_id) FILTER (WHERE a.voucher_id IS NOT NULL) AS people_issued,"
        " count(a.id) FILTER (WHERE a.status IN ('redeemed', 'settled')) AS vouchers_redeemed,"
        " count(DISTINCT a.participant_id) FILTER (WHERE a.status IN ('redeemed', 'settled')) AS people_redeemed,"
        " count(a.id) FILTER (WHERE a.submitted_by_role = 'employer') AS by_employers,"
        " count(DISTINCT a.participant_id) FILTER (WHERE a.submitted_by_role = 'employer') AS people_by_employers,"
        " count(DISTINCT a.participant_id) FILTER (WHERE a.submitted_by_role <> 'employer') AS people_not_by_employers"
        " FROM categories c LEFT JOIN applications a ON a.programme_id = c.programme_id AND a.category = c.code"
        " WHERE c.programme_id = $1"
        " GROUP BY c.code, c.position, c.budget_cents, c.available_cents, c.reserved_cents, c.redeemed_cents,"
        " c.settled_cents ORDER BY c.position",
        programme_id,
    )
    return rows


async def target_group_counts(conn: Connection, programme_id: uuid.UUID) -> dict[str, dict[str, int]]:
    """Per category, how many people declared each target group on their applications."""
    rows = await conn.fetch(
        "SELECT category, g AS target_group, count(DISTINCT participant_id) AS n"
        " FROM applications, unnest(target_groups) AS g"
        " WHERE programme_id = $1 GROUP BY category, g",
        programme_id,
    )
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        counts.setdefault(r["category"], {})[r["target_group"]] = int(r["n"])
    return counts


async def signal_rows(conn: Connection, programme_id: uuid.UUID) -> list[asyncpg.Record]:
    """What the signals are computed from: one row per application."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT category, submitted_by_role, employer_size, provider_id, course_id, target_groups, amount_cents,"
        " (reserved OR status IN ('redeemed', 'settled')) AS funded FROM applications WHERE programme_id = $1",
        programme_id,
    )
    return rows


async def mark_draw_results(
    conn: Connection,
    funded: Sequence[tuple[uuid.UUID, str, int, uuid.UUID | None]],
    waitlisted: Sequence[tuple[uuid.UUID, int]],
) -> None:
    """Set the statuses a draw decided: funded (status, rank, voucher id) and waiting (rank)."""
    await conn.executemany(
        "UPDATE applications SET status = $2, reserved = true, draw_rank = $3, voucher_id = $4,"
        " issued_at = CASE WHEN $4::uuid IS NULL THEN NULL ELSE now() END, updated_at = now() WHERE id = $1",
        funded,
    )
    await conn.executemany(
        "UPDATE applications SET status = 'waitlisted', draw_rank = $2, updated_at = now() WHERE id = $1", waitlisted
    )
