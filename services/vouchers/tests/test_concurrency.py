"""Budgets can never be overspent: many more concurrent applications than money, on real Postgres.

The naive read-then-write variant runs against the same check and must fail it, which shows
the check can catch an overspend at all.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import asyncpg
import pytest

from services.vouchers.audit import audit
from services.vouchers.db.filing import Filing, file_applications
from services.vouchers.db.read_model import upsert_course, upsert_participants
from services.vouchers.handlers import budgets, filing
from services.vouchers.handlers.commands import ApplyCommand, CategoryIn, CreateProgramme
from services.vouchers.handlers.filing import Applicant, ApplicationDesk
from services.vouchers.handlers.programmes import create_programme
from services.vouchers.tests.conftest import NOW
from shared.db.migrations import migrate
from shared.db.pool import create_pool
from shared.db.uow import UnitOfWorkFactory
from shared.errors import Conflict
from shared.events.contracts.intake import Situation
from shared.events.contracts.vouchers import SubmittedBy
from tests.support.platform import Platform

WORKERS = 64
APPLICATIONS = 5_000
VOUCHERS = 850
AMOUNT = 100_000
NAIVE_APPLICATIONS = 1_500


@pytest.fixture
async def pool(platform: Platform) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(platform.dsn("vouchers"), min_size=4, max_size=20)
    async with pool.acquire() as conn:
        await migrate(conn, "vouchers")
    yield pool
    await pool.close()


async def rush_setup(pool: asyncpg.Pool) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    """A programme whose one category holds money for exactly 850 vouchers, and 5,000 applicants."""
    uows = UnitOfWorkFactory(pool, schema="vouchers", region="gld")
    course, provider = uuid.uuid4(), uuid.uuid4()
    people = [uuid.uuid4() for _ in range(APPLICATIONS)]
    async with pool.acquire() as conn:
        await upsert_course(conn, course, provider_id=provider, title="PLC", price_cents=AMOUNT)
        await upsert_participants(conn, [(p, Situation.WORKING_IN_TECH.value, "unknown", [], None) for p in people])
    cmd = CreateProgramme(
        name="rush",
        opens_at=NOW - timedelta(hours=1),
        closes_at=NOW + timedelta(hours=1),
        redeem_by=NOW + timedelta(days=90),
        budget_cents=VOUCHERS * AMOUNT,
        categories=[
            CategoryIn(
                code="werk_in_techniek",
                name="Ik werk in de techniek",
                voucher_amount_cents=AMOUNT,
                budget_cents=VOUCHERS * AMOUNT,
                eligible_situations=[Situation.WORKING_IN_TECH],
            )
        ],
    )
    async with uows() as uow:
        programme_id = await create_programme(uow, cmd, actor="officer")
        await uow.commit()
    return programme_id, course, people


async def fire(people: list[uuid.UUID], one: Callable[[uuid.UUID], Awaitable[None]]) -> None:
    """Run ``one`` for every person with WORKERS concurrent workers."""
    queue: asyncio.Queue[uuid.UUID] = asyncio.Queue()
    for p in people:
        queue.put_nowait(p)

    async def worker() -> None:
        while not queue.empty():
            await one(queue.get_nowait())

    await asyncio.gather(*(worker() for _ in range(WORKERS)))


async def test_five_thousand_concurrent_applications_reserve_exactly_the_budget(pool: asyncpg.Pool) -> None:
    programme_id, course, people = await rush_setup(pool)
    uows = UnitOfWorkFactory(pool, schema="vouchers", region="gld")
    desk = ApplicationDesk(pool)

    async def one(person: uuid.UUID) -> None:
        await filing.apply(
            desk,
            uows,
            programme_id=programme_id,
            cmd=ApplyCommand(category="werk_in_techniek", course_id=course),
            applicant=Applicant(SubmittedBy.PARTICIPANT, str(person), str(person)),
            idempotency_key=f"first-{person}",
            now=NOW,
        )

    await fire(people, one)
    async with pool.acquire() as conn:
        assert await audit(conn, programme_id) == []
        reserved = await conn.fetchval("SELECT count(*) FROM applications WHERE reserved")
        waiting = await conn.fetchval("SELECT count(*) FROM applications WHERE status = 'waitlisted'")
        category = await conn.fetchrow("SELECT * FROM categories WHERE programme_id = $1", programme_id)
        reserves = await conn.fetchval("SELECT count(*) FROM ledger WHERE kind = 'reserve'")
    assert category is not None
    assert (reserved, waiting, reserves) == (VOUCHERS, APPLICATIONS - VOUCHERS, VOUCHERS)
    assert category["reserved_cents"] == VOUCHERS * AMOUNT
    assert category["available_cents"] == 0

    # A second wave of resends (network retries) changes nothing.
    await fire(people[:300], one)
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM applications") == APPLICATIONS
        assert await audit(conn, programme_id) == []


async def naive_apply(pool: asyncpg.Pool, programme_id: uuid.UUID, course: uuid.UUID, person: uuid.UUID) -> None:
    """Read the balance, decide in Python, write the new balance: the classic overspend."""
    async with pool.acquire() as conn, conn.transaction():
        c = await conn.fetchrow(
            "SELECT * FROM categories WHERE programme_id = $1 AND code = 'werk_in_techniek'", programme_id
        )
        assert c is not None
        reserved = c["available_cents"] >= AMOUNT
        await asyncio.sleep(0)  # anything between the read and the write: a log line, an await
        if reserved:
            await conn.execute(
                "UPDATE categories SET available_cents = $2, reserved_cents = $3 WHERE programme_id = $1",
                programme_id,
                c["available_cents"] - AMOUNT,
                c["reserved_cents"] + AMOUNT,
            )
            await conn.execute(
                "INSERT INTO ledger (programme_id, category, kind, amount_cents, d_budget, d_available, d_reserved,"
                " d_redeemed, budget_after, available_after) VALUES ($1, 'werk_in_techniek', 'reserve', $2, 0, $3, $2,"
                " 0, $4, $5)",
                programme_id,
                AMOUNT,
                -AMOUNT,
                c["budget_cents"],
                c["available_cents"] - AMOUNT,
            )
        await conn.execute(
            "INSERT INTO applications (id, programme_id, category, participant_id, course_id, provider_id,"
            " amount_cents, submitted_by_role, initial_status, status, reserved)"
            " VALUES ($1, $2, 'werk_in_techniek', $3, $4, $4, $5, 'participant', $6, $6, $7)",
            uuid.uuid4(),
            programme_id,
            person,
            course,
            AMOUNT,
            "voucher_issued" if reserved else "waitlisted",
            reserved,
        )


async def test_the_naive_read_then_write_variant_fails_the_same_check(pool: asyncpg.Pool) -> None:
    programme_id, course, people = await rush_setup(pool)
    # Fewer applicants than the real test (still far more than the budget): the naive variant
    # holds the row lock across round trips and is slow, which is part of its failure.
    await fire(people[:NAIVE_APPLICATIONS], lambda person: naive_apply(pool, programme_id, course, person))
    async with pool.acquire() as conn:
        problems = await audit(conn, programme_id)
        promised = await conn.fetchval("SELECT count(*) FROM applications WHERE reserved")
    assert problems, "the naive variant should have overspent; the check could not tell"
    assert promised > VOUCHERS, f"{promised} vouchers promised against a budget for {VOUCHERS}"


async def test_per_person_limit_holds_under_concurrency(pool: asyncpg.Pool) -> None:
    programme_id, course, people = await rush_setup(pool)
    uows = UnitOfWorkFactory(pool, schema="vouchers", region="gld")
    desk = ApplicationDesk(pool)
    person = people[0]

    async def one(n: int) -> str:
        try:
            view, _ = await filing.apply(
                desk,
                uows,
                programme_id=programme_id,
                cmd=ApplyCommand(category="werk_in_techniek", course_id=course),
                applicant=Applicant(SubmittedBy.PARTICIPANT, str(person), str(person)),
                idempotency_key=f"distinct-{n}",
                now=NOW,
            )
        except Conflict:
            return "refused"
        return str(view["status"])

    outcomes = await asyncio.gather(*(one(n) for n in range(30)))
    assert sorted(outcomes) == ["refused"] * 29 + ["voucher_issued"]


def _filing(programme_id: uuid.UUID, course: uuid.UUID, person: uuid.UUID, key: str) -> Filing:
    return Filing(
        principal=str(person),
        idempotency_key=key,
        request_hash="h",
        id=uuid.uuid4(),
        programme_id=programme_id,
        participant_id=person,
        amount_cents=AMOUNT,
        max_vouchers_per_person=1,
        max_cents_per_person=None,
        max_cents_per_person_per_year=None,
        category="werk_in_techniek",
        first_come_first_served=True,
        course_id=course,
        provider_id=course,
        submitted_by_role="participant",
        employer_id=None,
        employer_size=None,
        target_groups=["vrouwen_in_techniek", "herintreders"],
        voucher_id=uuid.uuid4(),
        reserved_status="voucher_issued",
        unreserved_status="waitlisted",
        at=NOW,
        events=[],
    )


async def test_one_group_is_decided_in_arrival_order_and_a_key_repeated_in_it_is_a_resend(pool: asyncpg.Pool) -> None:
    programme_id, course, people = await rush_setup(pool)
    uows = UnitOfWorkFactory(pool, schema="vouchers", region="gld")
    async with uows() as uow:
        cut = (3 - VOUCHERS) * AMOUNT  # money for three vouchers is left
        await budgets.change_budget(uow, programme_id, "werk_in_techniek", cut, reason="test", actor="o", now=NOW)
        await uow.commit()
    async with pool.acquire() as conn:
        group = [_filing(programme_id, course, p, f"key-{p}") for p in people[:5]]
        resend = _filing(programme_id, course, people[0], f"key-{people[0]}")
        outcomes = await file_applications(conn, [*group[:2], resend, *group[2:]])
        rows = await conn.fetch("SELECT id, status, target_groups FROM applications ORDER BY seq")
        assert await audit(conn, programme_id) == []
    assert [o.fresh for o in outcomes] == [True, True, False, True, True, True]
    assert [o.reserved is not None for o in outcomes] == [True, True, False, True, False, False]
    assert [r["id"] for r in rows] == [f.id for f in group]
    assert [r["status"] for r in rows] == ["voucher_issued"] * 3 + ["waitlisted"] * 2
    assert rows[0]["target_groups"] == ["vrouwen_in_techniek", "herintreders"]


async def test_a_filing_for_someone_erased_after_the_look_up_files_nothing(pool: asyncpg.Pool) -> None:
    programme_id, course, people = await rush_setup(pool)
    gone, stays = people[0], people[1]
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM participants WHERE id = $1", gone)  # as erasure does, after the look-up
        outcomes = await file_applications(
            conn, [_filing(programme_id, course, gone, "a"), _filing(programme_id, course, stays, "b")]
        )
        filed = await conn.fetch("SELECT participant_id FROM applications")
        keys = await conn.fetchval("SELECT count(*) FROM idempotency_keys")
        yearly = await conn.fetch("SELECT participant_id FROM yearly_holdings")
    assert [o.known for o in outcomes] == [False, True]
    assert [r["participant_id"] for r in filed] == [stays]
    assert keys == 1
    assert [r["participant_id"] for r in yearly] == [stays]
