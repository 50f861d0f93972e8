"""The in-process copy: patching arrays gives the same rankings as building them again, and the
database's generations tell a reader exactly which rows changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.batch import Candidates, Opportunities, patched, rank_candidates, rank_opportunities
from services.matching.db import candidates as candidate_store
from services.matching.db.generations import changed_since, forget_removals, generation, removed_since
from services.matching.domain import Candidate, Opportunity
from services.matching.snapshot import Cached, candidate_of, in_pool
from services.matching.tests.conftest import World
from services.matching.tests.factories import TODAY, VOCAB, candidates, opportunities
from shared.db import Connection

people = st.lists(candidates(), min_size=1, max_size=10).map(
    lambda cs: [dataclasses.replace(c, id=f"c{i:02d}") for i, c in enumerate(cs)]
)
places = st.lists(opportunities(), min_size=1, max_size=8).map(
    lambda os: [dataclasses.replace(o, id=f"o{i:02d}") for i, o in enumerate(os)]
)


@settings(max_examples=60, deadline=None)
@given(people, people, places, places, st.data())
def test_a_patched_copy_ranks_like_a_fresh_one(
    before: list[Candidate], after: list[Candidate], old: list[Opportunity], new: list[Opportunity], data: st.DataObject
) -> None:
    # ``after`` and ``new`` reuse ids: some replace items of ``before`` and ``old``, the rest are added.
    gone_c = set(data.draw(st.lists(st.sampled_from([c.id for c in before]), max_size=3)))
    gone_o = set(data.draw(st.lists(st.sampled_from([o.id for o in old]), max_size=3)))
    kept_c = {c.id: c for c in before if c.id not in gone_c} | {c.id: c for c in after}
    kept_o = {o.id: o for o in old if o.id not in gone_o} | {o.id: o for o in new}
    cs = patched(Candidates.build(before, VOCAB), Candidates.build(after, VOCAB), gone_c - {c.id for c in after})
    os = patched(
        Opportunities.build(old, VOCAB, TODAY), Opportunities.build(new, VOCAB, TODAY), gone_o - {o.id for o in new}
    )
    fresh_cs = Candidates.build(list(kept_c.values()), VOCAB)
    fresh_os = Opportunities.build(list(kept_o.values()), VOCAB, TODAY)
    assert sorted(c.id for c in cs.items) == sorted(kept_c)
    for o in new[:2]:
        assert rank_candidates(o, cs, VOCAB, TODAY) == rank_candidates(o, fresh_cs, VOCAB, TODAY)
    for c in after[:2]:
        assert rank_opportunities(c, os, VOCAB) == rank_opportunities(c, fresh_os, VOCAB)


async def test_each_write_stamps_its_rows_with_a_new_generation_and_a_deletion_leaves_its_id(world: World) -> None:
    async with world.runtime.pool.acquire() as conn:
        start, _ = await generation(conn, "candidates")
        first = await world.candidate()
        second = await world.candidate()
        after, _ = await generation(conn, "candidates")
        assert after > start
        assert {r["participant_id"] for r in await changed_since(conn, "candidates", start)} == {first, second}
        seen, _ = await generation(conn, "candidates")
        await world.client.patch(f"/candidates/{first}", json={"travel_radius_km": 40}, headers=world.coach())
        assert [r["participant_id"] for r in await changed_since(conn, "candidates", seen)] == [first]
        seen, _ = await generation(conn, "candidates")
        await world.erase(second)
        assert await removed_since(conn, "candidates", seen) == [str(second)]
        assert await removed_since(conn, "candidates", (await generation(conn, "candidates"))[0]) == []


async def test_erasure_and_withdrawn_consent_patch_the_copy_and_only_a_copy_older_than_the_kept_removals_is_read_whole(
    world: World,
) -> None:
    reads: list[int] = []

    async def read_all(conn: Connection) -> Sequence[Any]:
        rows = await candidate_store.pool(conn)
        reads.append(len(rows))
        return rows

    cached: Cached[Candidates] = Cached("candidates", read_all, in_pool)

    async def ids() -> set[str]:
        copy = await cached.get(
            world.runtime.pool, None, lambda rows: Candidates.build([candidate_of(r, VOCAB) for r in rows], VOCAB)
        )
        return {c.id for c in copy.items}

    people = [await world.candidate() for _ in range(4)]
    assert await ids() == {str(p) for p in people}
    await world.erase(people[0])
    await world.withdraw_consent(people[1])
    assert await ids() == {str(people[2]), str(people[3])}
    assert reads == [4]  # patched, not read again
    await world.erase(people[2])  # the copy is now behind this erasure ...
    async with world.runtime.uow() as uow:  # ... whose record housekeeping forgets
        assert await forget_removals(uow.conn, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)) == 2
        await uow.commit()
    assert await ids() == {str(people[3])}
    assert reads == [4, 1]  # the removal it would need is forgotten: read whole
