"""The in-process copy: patching arrays gives the same rankings as building them again, and the
database's generations tell a reader exactly which rows changed."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.batch import Candidates, Opportunities, patched, rank_candidates, rank_opportunities
from services.matching.db.generations import changed_since, generation
from services.matching.domain import Candidate, Opportunity
from services.matching.tests.conftest import World
from services.matching.tests.factories import TODAY, VOCAB, candidates, opportunities

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


async def test_each_write_stamps_its_rows_with_a_new_generation_and_a_deletion_is_counted(world: World) -> None:
    async with world.runtime.pool.acquire() as conn:
        start, removed = await generation(conn, "candidates")
        first = await world.candidate()
        second = await world.candidate()
        after, _ = await generation(conn, "candidates")
        assert after > start
        assert {r["participant_id"] for r in await changed_since(conn, "candidates", start)} == {first, second}
        seen, _ = await generation(conn, "candidates")
        await world.client.patch(f"/candidates/{first}", json={"travel_radius_km": 40}, headers=world.coach())
        assert [r["participant_id"] for r in await changed_since(conn, "candidates", seen)] == [first]
        await world.erase(second)
        assert (await generation(conn, "candidates"))[1] == removed + 1
