"""Learning from the user's own past (issue 11): the shipped coefficients are the prior, the
user's own labelled snapshots before T update them, and nothing at or after T can leak in."""

from __future__ import annotations

import numpy as np
import pytest

from daemon.model.adapt import MIN_EXAMPLES, adapt, examples, fit_toward
from daemon.model.rank import score_frame
from daemon.model.risk import COEF, sigmoid

from helpers.model import AS_OF, frame_of, touch
from helpers.own_past import DAY, T, episodic_user, with_rows


def test_a_new_user_gets_the_prior() -> None:
    frame = frame_of([touch("a@x.com", d, ("outbound", "inbound")[i % 2])
                      for i, d in enumerate(range(1, 60, 3))])
    assert len(examples(frame, T)) < MIN_EXAMPLES
    assert adapt(frame, T) is COEF


def test_own_history_moves_the_model_and_fits_it_better() -> None:
    frame = episodic_user()
    ex = examples(frame, T)
    assert len(ex) >= MIN_EXAMPLES and ex.y.any() and not ex.y.all()
    assert np.all(ex.at + 84 * DAY <= T)  # only snapshots whose horizon has passed
    coef = adapt(frame, T)
    assert not np.allclose(coef, COEF)

    def loss(c: np.ndarray) -> float:
        p = np.clip(sigmoid(c[0] + ex.x @ c[1:]), 1e-9, 1 - 1e-9)
        return float(-np.mean(ex.y * np.log(p) + (1 - ex.y) * np.log(1 - p)))

    assert loss(coef) < loss(COEF)


def test_shrinkage_toward_the_prior() -> None:
    ex = examples(episodic_user(), T)
    y = ex.y.astype(float)
    far = fit_toward(ex.x, y, COEF, strength=1e9)
    assert np.allclose(far, COEF, atol=1e-4)  # a prior worth everything is kept
    weak, strong = fit_toward(ex.x, y, COEF, 1.0), fit_toward(ex.x, y, COEF, 300.0)
    assert np.linalg.norm(strong - COEF) < np.linalg.norm(weak - COEF)


@pytest.mark.parametrize("offset_days", [0, 0.5, 30, 400])
def test_no_touchpoint_at_or_after_t_leaks_into_the_past(offset_days: float) -> None:
    """A mail at or after T (the user writing again, a contact coming back) changes neither
    the adapted coefficients nor any past snapshot's features or labels."""
    frame = episodic_user()
    ex, coef = examples(frame, T), adapt(frame, T)
    at = T + int(offset_days * DAY)
    people = list(range(0, 60, 3))
    later = with_rows(frame, people * 2, [at] * len(people) * 2,
                      [0] * len(people) + [1] * len(people))  # you write, they answer
    ex2 = examples(later, T)
    assert np.array_equal(ex.x, ex2.x) and np.array_equal(ex.y, ex2.y)
    assert np.array_equal(ex.at, ex2.at)
    assert np.array_equal(ex.level, ex2.level) and ex.now == ex2.now  # the user's own level
    assert np.array_equal(adapt(later, T), coef)


def test_a_snapshot_sees_only_what_came_before_it() -> None:
    """A mail between the last snapshot and T may change that snapshot's label, never any
    snapshot's features (each is computed from touchpoints before its own T')."""
    frame = episodic_user()
    ex = examples(frame, T)
    later = with_rows(frame, list(range(60)), [T - 2 * DAY] * 60, [1] * 60)
    ex2 = examples(later, T)
    assert np.array_equal(ex.x, ex2.x) and np.array_equal(ex.at, ex2.at)
    assert np.array_equal(ex.level, ex2.level)  # each level reads only before its own T'


def test_weekly_scoring_uses_the_adapted_model() -> None:
    frame = episodic_user()
    adapted = {e.key: e.risk for e in score_frame(frame, AS_OF).everyone}
    shipped = {e.key: e.risk for e in score_frame(frame, AS_OF, adapted=False).everyone}
    assert adapted.keys() == shipped.keys() and adapted != shipped


def test_a_large_store_learns_from_a_fixed_sample_of_whole_persons(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Past ROW_BUDGET rows the adaptation reads a fixed sample of whole persons (the same one
    every week), still cut at T."""
    import daemon.model.adapt as adapt_module

    frame = episodic_user()
    full = examples(frame, T)
    monkeypatch.setattr(adapt_module, "ROW_BUDGET", len(frame) // 3)
    part = examples(frame, T)
    assert 0 < len(part) < len(full)
    assert np.array_equal(examples(frame, T).x, part.x)  # deterministic
    later = with_rows(frame, list(range(60)), [T + DAY] * 60, [0] * 60)
    assert np.array_equal(examples(later, T).x, part.x)  # nothing after T, even sampled
