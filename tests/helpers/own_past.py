"""A user with a labelled past, for the adaptation and lapse-level tests (issue 11)."""

from __future__ import annotations

import numpy as np

from daemon.model.frame import Frame, build, seconds

from helpers.model import AS_OF, frame_of, touch

T = seconds(AS_OF)
DAY = 86400


def episodic_user(seed: int = 3, persons: int = 60) -> Frame:
    """Three years of a user whose ties come in episodes: each contact writes back and forth
    every few days for a few months, then stops; the user stops sending 30 days before T."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, int, int]] = []  # person, t, direction
    for p in range(persons):
        start = T - int(rng.uniform(60, 3 * 365)) * DAY
        length = int(rng.uniform(30, 200)) * DAY
        gap = rng.uniform(2, 10) * DAY
        at = float(start)
        while at < min(start + length, T):
            rows.append((p, int(at), int(rng.integers(0, 2))))
            at += rng.exponential(gap)
    kept = [(p, t, d) for p, t, d in rows if d == 1 or t < T - 30 * DAY]
    return frame_of([touch(f"p{p}@x.com", (T - t) / DAY, ("outbound", "inbound")[d])
                     for p, t, d in kept])


def with_rows(frame: Frame, person: list[int], t: list[int], direction: list[int]) -> Frame:
    """``frame`` plus some one-to-one mails."""
    n = len(person)
    return build(frame.persons, np.r_[frame.person, person], np.r_[frame.t, t],
                 np.r_[frame.direction, direction], np.r_[frame.meeting, [False] * n],
                 np.r_[frame.group, [1] * n], np.r_[frame.noise, [False] * n],
                 np.r_[frame.direct, [True] * n], np.r_[frame.thread, [-1] * n])
