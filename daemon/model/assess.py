"""The model as a pure function of arrays: per person at one as-of time, the risk, the
going-quiet score, the group, the exclusion and the drift shape. No store, no strings.

The going-quiet score is ``risk x log(1 + strength) x overdue``, where ``overdue`` ramps from
0 at a silence equal to the usual rhythm to 1 at twice the rhythm: a tie within its rhythm is
not going quiet, however risky, and a new interaction can only lower the score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from daemon.model.frame import IN, MUTUAL, OUT, Frame
from daemon.model.rhythm import DAY, Aggregates, aggregate
from daemon.model.risk import risk as lapse_risk
from daemon.model.vocab import Exclusion, Group, Shape

EXCLUSIONS = tuple(Exclusion)  # exclusion code -> reason (code 0: not excluded)
GROUP_NAMES = tuple(Group)  # group code -> group
SHAPE_NAMES = tuple(Shape)  # shape code -> shape
NEW_DAYS, NEW_INTERACTION_DAYS = 28, 3  # younger or fewer: "too new" for a rhythm
LOSING_RATIO, LOSING_DAYS = 1.5, 14  # overdue by half a rhythm and at least two weeks
DORMANT_RATIO, DORMANT_DAYS = 4.0, 180  # silent far beyond any rhythm
UPCOMING_DAYS = 120  # a meeting booked within this window silences the nag
REPLY_DAYS = 3  # your mail this soon after theirs answers it (when threads are unknown)


@dataclass(frozen=True)
class Evaluation:
    """Per-person arrays at ``as_of`` (seconds); ``present`` marks persons with any history."""

    as_of: int
    agg: Aggregates
    risk: np.ndarray
    score: np.ndarray
    ratio: np.ndarray
    excluded: np.ndarray  # int8 index into EXCLUSIONS (0: not excluded)
    group: np.ndarray  # int8 index into GROUP_NAMES
    shape: np.ndarray  # int8 index into SHAPE_NAMES
    next_meeting: np.ndarray  # int64 seconds of the next booked meeting, -1 if none
    present: np.ndarray  # bool


def _shapes(frame: Frame, agg: Aggregates) -> np.ndarray:
    """owe_reply: their direct mail was last; they_went_quiet: your mail was last and was not
    a reply (not in a thread they had written in, nor within REPLY_DAYS of their last mail);
    mutual_fade otherwise (meetings, cc, your reply closing their thread)."""
    last = agg.last
    shape = np.full(last.size, 2, dtype=np.int8)
    has = last >= 0
    rows = last[has]
    d, direct, meet = frame.direction[rows], frame.direct[rows], frame.meeting[rows]
    inbound = (frame.direction == IN) & (frame.thread >= 0)
    their_threads = np.sort(frame.person[inbound].astype(np.int64) * (1 << 40)
                            + frame.thread[inbound])
    key = frame.person[rows].astype(np.int64) * (1 << 40) + frame.thread[rows]
    at = np.minimum(np.searchsorted(their_threads, key), max(their_threads.size - 1, 0))
    found = their_threads[at] == key if their_threads.size else np.zeros(key.size, bool)
    replied_in_their_thread = (frame.thread[rows] >= 0) & found
    answered = (agg.silence_in[has] - agg.silence[has]) <= REPLY_DAYS
    replied_in_their_thread |= answered
    s = np.full(rows.size, 2, dtype=np.int8)
    s[(d == IN) & direct & ~meet] = 0
    s[(d == OUT) & ~meet & ~replied_in_their_thread] = 1
    shape[has] = s
    return shape


def _next_meeting(frame: Frame, as_of: int) -> np.ndarray:
    ahead = (frame.meeting & ~frame.noise & (frame.t >= as_of)
             & (frame.t < as_of + UPCOMING_DAYS * DAY))
    nxt = np.full(len(frame.persons), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(nxt, frame.person[ahead], frame.t[ahead])
    return np.where(nxt == np.iinfo(np.int64).max, -1, nxt)


def heard_from(frame: Frame, as_of: int) -> np.ndarray:
    """Per person: has any human (not bulk, not list) message from them reached you, or have
    you met, before ``as_of``? Group size does not matter: one reply in a big thread counts.
    Without it a tie is one-way (a list, an alias, someone you only copy) and never fades."""
    rows = (frame.t < as_of) & ~frame.noise & ((frame.direction != OUT) | frame.meeting)
    return np.bincount(frame.person[rows], minlength=len(frame.persons)) > 0


def evaluate(frame: Frame, as_of: int, *, hidden: np.ndarray | None = None,
             upcoming: bool = True, cap: int = 10, coef: np.ndarray | None = None,
             level: float = 0.0) -> Evaluation:
    """Score every person of ``frame`` at ``as_of`` (UTC seconds) from touchpoints before it.

    ``hidden`` holds an EXCLUSIONS index per person (ignored/snoozed) decided by the caller;
    with ``upcoming`` a meeting already booked after ``as_of`` excludes the person; ``coef``
    (None: the shipped ones) are the risk model's coefficients and ``level`` the user's own
    lapse level (:mod:`daemon.model.level`; 0: the prior's)."""
    agg = aggregate(frame, as_of, cap)
    size = len(frame.persons)
    risk = lapse_risk(agg, level=level) if coef is None else lapse_risk(agg, coef, level)
    has = np.isfinite(agg.silence)
    ratio = np.where(has, agg.silence / agg.rhythm, 0.0)
    overdue = np.clip(ratio - 1.0, 0.0, 1.0)
    score = np.where(has, risk * np.log1p(agg.strength) * overdue, 0.0)
    excluded = np.zeros(size, dtype=np.int8)
    nxt = _next_meeting(frame, as_of) if upcoming else np.full(size, -1, dtype=np.int64)
    rules = [  # first matching reason wins, in this order
        (hidden if hidden is not None else np.zeros(size, dtype=np.int8), None),
        (agg.all_noise, Exclusion.BULK),
        (~has, Exclusion.GROUP_ONLY),
        (agg.n_out == 0, Exclusion.INBOUND_ONLY),
        (~heard_from(frame, as_of), Exclusion.OUTBOUND_ONLY),
        ((agg.first < NEW_DAYS) | (agg.gaps + 1 < NEW_INTERACTION_DAYS), Exclusion.TOO_NEW),
        (nxt >= 0, Exclusion.UPCOMING_MEETING),
    ]
    for mask, name in rules:
        if name is None:
            excluded = np.asarray(mask, dtype=np.int8).copy()
            continue
        excluded[(excluded == 0) & mask] = EXCLUSIONS.index(name)
    dormant = (ratio >= DORMANT_RATIO) & (agg.silence >= DORMANT_DAYS)
    losing = (ratio >= LOSING_RATIO) & (agg.silence >= LOSING_DAYS) & (score > 0)
    group = np.where(excluded > 0, 3, np.where(dormant, 1, np.where(losing, 0, 2)))
    return Evaluation(as_of, agg, risk, score, ratio, excluded, group.astype(np.int8),
                      _shapes(frame, agg), nxt, agg.any_touch)


def monthly(frame: Frame, as_of: int, months: int = 12) -> np.ndarray:
    """(P, months) non-automated touchpoints per calendar month (UTC), oldest first; the
    last column is the as-of month up to ``as_of``."""
    rows = (frame.t < as_of) & ~frame.noise
    month = frame.t[rows].astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    now = np.int64(np.datetime64(as_of - 1, "s").astype("datetime64[M]").astype(np.int64))
    back = now - month
    keep = back < months
    col = months - 1 - back[keep]
    out = np.bincount(frame.person[rows][keep].astype(np.int64) * months + col,
                      minlength=len(frame.persons) * months)
    return out.reshape(len(frame.persons), months)


__all__ = ["EXCLUSIONS", "GROUP_NAMES", "SHAPE_NAMES", "Evaluation", "evaluate", "heard_from",
           "monthly", "OUT", "IN", "MUTUAL"]
