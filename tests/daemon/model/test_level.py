"""The user's own lapse level (issue 11): one number per user and time, read only from the
labelled snapshots whose horizon has passed, that moves the risk's probability and never the
order of a user's own list."""

from __future__ import annotations

import numpy as np

from daemon.model.adapt import examples, fitted, owner_level
from daemon.model.assess import evaluate
from daemon.model.level import PRIOR_RATE, grid, level
from daemon.model.rank import score_frame

from helpers.model import AS_OF, frame_of, touch
from helpers.own_past import DAY, T, episodic_user, with_rows


def test_a_new_user_has_the_prior_level() -> None:
    frame = frame_of([touch("a@x.com", d, ("outbound", "inbound")[i % 2])
                      for i, d in enumerate(range(1, 60, 3))])
    assert owner_level(frame, T) == np.log(PRIOR_RATE / (1 - PRIOR_RATE)) == 0.0
    assert fitted(frame, T)[1] == 0.0


def test_the_level_is_the_shrunk_lapse_rate_of_the_passed_snapshots() -> None:
    frame = episodic_user()
    g = grid(frame, T, 26)
    counted = [k for k in range(26) if g.counts(k, T)]
    assert counted and all(g.t[k] + 84 * DAY <= T for k in counted)
    rows = sum(g.y[k].size for k in counted)
    lapses = sum(int(g.y[k].sum()) for k in counted)
    rate = (lapses + 10.0) / (rows + 20.0)
    assert np.isclose(level(g, T, 0), np.log(rate / (1 - rate)))
    assert owner_level(frame, T) == level(g, T, 0) == examples(frame, T).now


def test_each_example_carries_the_level_of_its_own_past() -> None:
    """An example at T' reads the level from the snapshots before T' - horizon, counted at T'."""
    frame = episodic_user()
    ex = examples(frame, T)
    for t in np.unique(ex.at)[:5]:
        own = owner_level(frame, int(t))
        assert np.allclose(ex.level[ex.at == t], own)


def test_no_touchpoint_at_or_after_t_moves_the_level() -> None:
    frame = episodic_user()
    people = list(range(0, 60, 3))
    later = with_rows(frame, people * 2, [T] * len(people) * 2,
                      [0] * len(people) + [1] * len(people))
    assert owner_level(later, T) == owner_level(frame, T)
    assert np.array_equal(examples(later, T).level, examples(frame, T).level)


def test_the_level_moves_the_risk_but_never_the_order() -> None:
    frame = episodic_user()
    at = T - 40 * DAY
    low, high = evaluate(frame, at, level=-1.0), evaluate(frame, at, level=1.0)
    has = np.isfinite(low.agg.silence)
    assert np.all(high.risk[has] > low.risk[has])
    assert np.array_equal(np.argsort(low.risk[has], kind="stable"),
                          np.argsort(high.risk[has], kind="stable"))


def test_shipped_scoring_reads_the_level_too() -> None:
    frame = episodic_user()
    lv = owner_level(frame, T)
    assert lv != 0.0
    shipped = {e.key: e.risk for e in score_frame(frame, AS_OF, adapted=False).everyone}
    ev = evaluate(frame, T, level=lv)
    for i, p in enumerate(frame.persons):
        if p.key in shipped:
            assert np.isclose(shipped[p.key], ev.risk[i])
