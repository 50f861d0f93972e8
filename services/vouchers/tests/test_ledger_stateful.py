"""A hypothesis state machine over apply / approve / reject / cancel / expire / redeem / settle /
claw back / budget changes / resends, on real Postgres: the money always adds up."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, TypeVar

import asyncpg
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from services.vouchers.audit import audit
from services.vouchers.db.applications import get_application
from services.vouchers.db.read_model import upsert_course, upsert_participants
from services.vouchers.domain import Status
from services.vouchers.handlers import budgets, decisions, filing, redemption
from services.vouchers.handlers.commands import ApplyCommand, CategoryIn, CreateProgramme
from services.vouchers.handlers.expiry import expire
from services.vouchers.handlers.filing import Applicant, ApplicationDesk
from services.vouchers.handlers.programmes import create_programme
from services.vouchers.tests.conftest import NOW
from shared.db.migrations import migrate
from shared.db.pool import create_pool
from shared.db.uow import UnitOfWorkFactory
from shared.errors import ClientError
from shared.events.contracts.intake import Situation
from shared.events.contracts.vouchers import RejectionReason, SubmittedBy
from tests.support.platform import Platform

T = TypeVar("T")
CHECKS: list[int] = []  # invariant checks run, so the test knows the machine really ran
# Each test case gets its own people (the yearly cap spans programmes, so people shared between
# cases would carry one case's holdings into the next and make the cases depend on each other).
PEOPLE = 6
SEEKERS = 3
PROVIDER = uuid.uuid4()
COURSES = {uuid.uuid4(): 100_000, uuid.uuid4(): 45_000}
YEARLY_CAP = 150_000
CATEGORIES = {"werk_in_techniek": Situation.WORKING_IN_TECH, "zoek_werk_techniek": Situation.LOOKING_FOR_WORK}


def _situation(index: int) -> Situation:
    return Situation.WORKING_IN_TECH if index < PEOPLE else Situation.LOOKING_FOR_WORK


def machine(loop: asyncio.AbstractEventLoop, pool: asyncpg.Pool) -> type[RuleBasedStateMachine]:
    """The state machine, bound to an event loop and a pool of its own thread."""
    uows = UnitOfWorkFactory(pool, schema="vouchers", region="gld")
    desk = ApplicationDesk(pool)

    def run(coro: Awaitable[T]) -> T:
        return loop.run_until_complete(coro)

    class Ledger(RuleBasedStateMachine):
        applications = Bundle("applications")

        def __init__(self) -> None:
            super().__init__()
            cmd = CreateProgramme(
                name="stateful",
                opens_at=NOW - timedelta(days=1),
                closes_at=NOW + timedelta(days=1),
                redeem_by=NOW + timedelta(days=2),
                budget_cents=500_000,
                auto_approve=False,
                max_vouchers_per_person=2,
                max_cents_per_person_per_year=YEARLY_CAP,
                below_threshold="partial",
                categories=[
                    CategoryIn(
                        code=code,
                        name=code,
                        voucher_amount_cents=100_000,
                        budget_cents=250_000,
                        eligible_situations=[situation],
                    )
                    for code, situation in CATEGORIES.items()
                ],
            )
            self.programme = run(self._create(cmd))
            self.people = [uuid.uuid4() for _ in range(PEOPLE + SEEKERS)]
            run(self._register(self.people))
            self.sent: dict[str, tuple[uuid.UUID, ApplyCommand, dict[str, Any]]] = {}

        async def _register(self, people: list[uuid.UUID]) -> None:
            async with pool.acquire() as conn:
                await upsert_participants(
                    conn,
                    [
                        (
                            p,
                            (Situation.WORKING_IN_TECH if i < PEOPLE else Situation.LOOKING_FOR_WORK).value,
                            "unknown",
                            [],
                            None,
                        )
                        for i, p in enumerate(people)
                    ],
                )

        async def _create(self, cmd: CreateProgramme) -> uuid.UUID:
            async with uows() as uow:
                programme_id = await create_programme(uow, cmd, actor="officer")
                await uow.commit()
            return programme_id

        async def _in_uow(self, what: str, application_id: uuid.UUID, **kwargs: Any) -> None:
            async with uows() as uow:
                row = await get_application(uow.conn, application_id, lock=True)
                assert row is not None
                try:
                    if what == "approve":
                        await decisions.approve(uow, application_id, now=NOW)
                    elif what == "reject":
                        await decisions.reject(
                            uow, application_id, reason=RejectionReason.OTHER, note=None, actor="o", now=NOW
                        )
                    elif what == "cancel":
                        await decisions.cancel(uow, application_id, by_role="participant", actor="p", now=NOW)
                    elif what == "expire":
                        if row["status"] != Status.VOUCHER_ISSUED.value:
                            return
                        await expire(uow, row, now=NOW + timedelta(days=3))
                    elif row["voucher_id"] is None:
                        return
                    elif what == "redeem":
                        await redemption.redeem(uow, row["voucher_id"], provider_id=PROVIDER, now=NOW, **kwargs)
                    elif what == "settle":
                        await redemption.settle(uow, row["voucher_id"], actor="o")
                    elif what == "clawback":
                        await redemption.claw_back(
                            uow, row["voucher_id"], note="evidence withdrawn", actor="o", now=NOW
                        )
                except ClientError:
                    return  # refused (wrong state): nothing may have changed, which the invariant checks
                await uow.commit()

        @rule(
            target=applications,
            who=st.integers(0, PEOPLE + SEEKERS - 1),
            category=st.sampled_from(sorted(CATEGORIES)),
            course=st.sampled_from(sorted(COURSES)),
            amount=st.sampled_from([None, 30_000, 45_000, 100_000, 100_001]),
        )
        def apply(self, who: int, category: str, course: uuid.UUID, amount: int | None) -> uuid.UUID:
            person = self.people[who]
            key = uuid.uuid4().hex
            cmd = ApplyCommand(category=category, course_id=course, amount_cents=amount)
            try:
                view, created = run(
                    filing.apply(
                        desk,
                        uows,
                        programme_id=self.programme,
                        cmd=cmd,
                        applicant=Applicant(SubmittedBy.PARTICIPANT, str(person), str(person)),
                        idempotency_key=key,
                        now=NOW,
                    )
                )
            except ClientError:
                return uuid.UUID(int=0)
            assert created
            self.sent[key] = (person, cmd, view)
            return uuid.UUID(str(view["id"]))

        @rule(data=st.data())
        def resend(self, data: st.DataObject) -> None:
            """A network retry of an earlier application: the first answer again, nothing new."""
            if not self.sent:
                return
            key = data.draw(st.sampled_from(list(self.sent)))
            person, cmd, first = self.sent[key]
            view, created = run(
                filing.apply(
                    desk,
                    uows,
                    programme_id=self.programme,
                    cmd=cmd,
                    applicant=Applicant(SubmittedBy.PARTICIPANT, str(person), str(person)),
                    idempotency_key=key,
                    now=NOW,
                )
            )
            assert not created
            assert {k: view[k] for k in ("id", "status", "amount_cents", "reserved")} == {
                k: first[k] for k in ("id", "status", "amount_cents", "reserved")
            }

        @rule(application=applications, what=st.sampled_from(["approve", "reject", "cancel", "expire", "settle"]))
        def decide(self, application: uuid.UUID, what: str) -> None:
            if application.int:
                run(self._in_uow(what, application))

        @rule(application=applications, attendance=st.integers(0, 100), completed=st.booleans())
        def redeem(self, application: uuid.UUID, attendance: int, completed: bool) -> None:
            if application.int:
                run(self._in_uow("redeem", application, attendance_pct=attendance, completed=completed))

        @rule(application=applications)
        def clawback(self, application: uuid.UUID) -> None:
            if application.int:
                run(self._in_uow("clawback", application))

        @rule(category=st.sampled_from(sorted(CATEGORIES)), delta=st.integers(-150_000, 150_000).filter(bool))
        def change_budget(self, category: str, delta: int) -> None:
            async def change() -> None:
                async with uows() as uow:
                    try:
                        await budgets.change_budget(
                            uow, self.programme, category, delta, reason="test", actor="o", now=NOW
                        )
                    except ClientError:
                        return
                    await uow.commit()

            run(change())

        @invariant()
        def money_adds_up(self) -> None:
            CHECKS.append(1)

            async def check() -> None:
                async with pool.acquire() as conn:
                    assert await audit(conn, self.programme) == []
                    held = await conn.fetch(
                        "SELECT h.participant_id, h.count, (SELECT count(*) FROM applications a"
                        " WHERE a.programme_id = h.programme_id AND a.participant_id = h.participant_id"
                        " AND a.status NOT IN ('rejected', 'cancelled')) AS counted"
                        " FROM holdings h WHERE h.programme_id = $1",
                        self.programme,
                    )
                    assert all(r["count"] == r["counted"] <= 2 for r in held), [dict(r) for r in held]
                    yearly = await conn.fetch(
                        "SELECT y.cents, (SELECT coalesce(sum(a.amount_cents), 0) FROM applications a"
                        " WHERE a.participant_id = y.participant_id AND a.cap_year = y.year"
                        " AND a.status NOT IN ('rejected', 'cancelled')) AS counted FROM yearly_holdings y"
                    )
                    assert all(r["cents"] == r["counted"] <= YEARLY_CAP for r in yearly), [dict(r) for r in yearly]

            run(check())

    return Ledger


def run_machine(dsn: str) -> None:
    """Run the state machine on a loop and pool of this thread."""
    loop = asyncio.new_event_loop()
    pool: asyncpg.Pool = loop.run_until_complete(create_pool(dsn, min_size=1, max_size=4))

    async def setup() -> None:
        async with pool.acquire() as conn:
            await migrate(conn, "vouchers")
            for course, price in COURSES.items():
                await upsert_course(conn, course, provider_id=PROVIDER, title="course", price_cents=price)

    try:
        loop.run_until_complete(setup())
        run_state_machine_as_test(
            machine(loop, pool),
            settings=settings(
                max_examples=25,
                stateful_step_count=40,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        loop.run_until_complete(pool.close())
        loop.close()


async def test_ledger_balances_through_any_sequence_of_operations(platform: Platform) -> None:
    CHECKS.clear()
    await asyncio.to_thread(run_machine, platform.dsn("vouchers"))
    assert len(CHECKS) > 200, f"only {len(CHECKS)} invariant checks ran"
