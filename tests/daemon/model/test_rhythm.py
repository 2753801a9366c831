"""The length-weighted median gap per person, against a plain per-person oracle."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from daemon.model.rhythm import _group_median_by_length


def _oracle(owner: list[int], gaps: list[int], size: int) -> list[float]:
    """Each owner's gaps sorted; the first whose running sum reaches half the owner's total."""
    out = [float("nan")] * size
    for who in set(owner):
        mine = sorted(g for o, g in zip(owner, gaps, strict=True) if o == who)
        run = 0
        for g in mine:
            run += g
            if run >= 0.5 * sum(mine):
                out[who] = float(g)
                break
    return out


@given(st.integers(1, 8).flatmap(lambda size: st.tuples(
    st.just(size), st.lists(st.tuples(st.integers(0, size - 1), st.integers(1, 5000)),
                            max_size=60))))
def test_median_gap_per_person_equals_the_oracle(case: tuple[int, list[tuple[int, int]]]) -> None:
    size, pairs = case
    owner = [o for o, _ in pairs]
    gaps = [g for _, g in pairs]
    got = _group_median_by_length(np.array(owner, dtype=np.int64),
                                  np.array(gaps, dtype=np.int64), size)
    assert np.array_equal(got, np.array(_oracle(owner, gaps, size)), equal_nan=True)
