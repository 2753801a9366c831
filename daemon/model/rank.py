"""Fill the report's contract (:mod:`daemon.model.entries`): load the store, exclude who is
hidden at report time (:class:`~daemon.model.hidden.Hidden`: ignore rules and snoozes), run the
model (:mod:`daemon.model.assess`) and rank everyone (each entry is explained when read:
:mod:`daemon.model.table`).

``score_frame`` is the store-free path used by the bench and the tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

import numpy as np

from daemon.clock import zone
from daemon.config import Config
from daemon.model.adapt import fitted, owner_level
from daemon.model.assess import EXCLUSIONS, GROUP_NAMES, evaluate, monthly
from daemon.model.entries import Ranked, Scored
from daemon.model.frame import Frame, seconds
from daemon.model.hidden import Hidden
from daemon.model.load import load
from daemon.model.quiet import own_silence
from daemon.model.table import EntryTable
from daemon.model.vocab import Exclusion, Group
from daemon.store import Store
from daemon.store.columns import TouchpointColumns

LOSING, DORMANT = GROUP_NAMES.index(Group.LOSING_TOUCH), GROUP_NAMES.index(Group.DORMANT)


def score(store: Store, config: Config, as_of: datetime, *, hidden: Hidden | None = None,
          upcoming: bool = True, columns: TouchpointColumns | None = None) -> Scored:
    """Score every person in ``store`` as of ``as_of`` (deterministic for a store and time).
    ``hidden`` defaults to the config's ignore rules and the snoozes in force at ``as_of``;
    ``columns`` are the store's touchpoints when the caller has read them."""
    frame = load(store, config.people, columns)
    if hidden is None:
        hidden = Hidden.at(store, config, as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC))
    return score_frame(frame, as_of, hidden=hidden, upcoming=upcoming,
                       cap=config.report.group_size, tz=zone(config.report.timezone))


def _exclusions(frame: Frame,
                hidden: Hidden | None) -> tuple[np.ndarray, dict[int, datetime | None]]:
    """EXCLUSIONS index per person for ignored/snoozed persons (any of their addresses), and
    each snoozed person's until."""
    out = np.zeros(len(frame.persons), dtype=np.int8)
    until: dict[int, datetime | None] = {}
    if hidden is None:
        return out, until
    for i, person in enumerate(frame.persons):
        why = hidden.why(person.addresses)
        if why is not None:
            out[i] = EXCLUSIONS.index(why)
        if why == Exclusion.SNOOZED:
            until[i] = hidden.until(person.addresses)
    return out, until


def score_frame(frame: Frame, as_of: datetime, *, hidden: Hidden | None = None,
                upcoming: bool = True, cap: int = 10, tz: tzinfo = UTC,
                adapted: bool = True) -> Scored:
    """The model's answer for a frame: every present person as an :class:`Entry`, grouped.
    ``hidden`` (None: nobody) excludes people; ``tz`` is the zone the reasons' dates are
    written in (the report's); ``adapted`` fits the risk to the user's own past
    (:mod:`daemon.model.adapt`; False: the shipped coefficients); both read the user's own
    lapse level (:mod:`daemon.model.level`)."""
    as_of = as_of.astimezone(UTC) if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    at = seconds(as_of)
    hide, until = _exclusions(frame, hidden)
    coef, level = fitted(frame, at, cap=cap) if adapted else (None, owner_level(frame, at))
    ev = evaluate(frame, at, hidden=hide, upcoming=upcoming, cap=cap, coef=coef, level=level)
    table = EntryTable(frame, ev, monthly(frame, at), as_of, until, tz)
    present = np.flatnonzero(ev.present).tolist()
    # while you yourself are quiet, only those who went quiet before you did are news
    quiet = own_silence(frame, at)
    listed = [i for i in present if quiet is None or quiet.predates(table.silence_days(i))]
    key, score, groups = table.key, table.score, table.groups
    losing = sorted((i for i in listed if groups[i] == LOSING),
                    key=lambda i: (-score[i], key(i)))
    dormant = sorted((i for i in listed if groups[i] == DORMANT),
                     key=lambda i: (-table.weight[i], key(i)))
    # GROUP_NAMES order is the report's order of groups
    everyone = sorted(present, key=lambda i: (groups[i], -score[i], key(i)))
    return Scored(as_of, Ranked(table, losing), Ranked(table, dormant), Ranked(table, everyone),
                  quiet)

