"""Rows into per-column arrays for ``unnest``."""

from __future__ import annotations

import pytest

from shared.db.arrays import columns


def test_rows_become_one_list_per_column_in_order() -> None:
    assert columns([(1, "a", None), (2, "b", True)], 3) == [[1, 2], ["a", "b"], [None, True]]


def test_no_rows_give_empty_columns() -> None:
    assert columns([], 4) == [[], [], [], []]


def test_rows_of_another_width_are_refused() -> None:
    with pytest.raises(ValueError, match="3 values each, not 2"):
        columns([(1, 2, 3)], 2)
    with pytest.raises(ValueError, match="shorter"):
        columns([(1, 2), (3,)], 2)
