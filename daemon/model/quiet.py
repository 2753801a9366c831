"""The user's own silence: when you have sent no mail for weeks (on leave, or a Sent folder that
is not synced), every contact looks like it is fading, and the weekly list would nag about
everyone. This tells the model and the summary so.

The rule: you are *quiet* at ``as_of`` when people's mail still reaches the store (a human
touchpoint in the last :data:`QUIET_DAYS` days) but none of the last :data:`QUIET_DAYS` days'
touchpoints is your own outbound mail (or a meeting you attended). When nothing arrives
either, the store is an old archive or a stalled sync (sync health's own business), not you. The
summary then says so in its sync health and shows only people who went quiet *before* you did
(their last interaction is older than your own last mail): their fade is not your silence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from daemon.model.frame import MUTUAL, OUT, Frame
from daemon.model.rhythm import DAY

QUIET_DAYS = 42  # six weeks without a mail from you: a holiday is shorter, a gap in sync is not


@dataclass(frozen=True, slots=True)
class OwnSilence:
    """You have been quiet at ``as_of``: ``days`` since your last outbound touchpoint (None:
    none at all in the store), and how many touchpoints reached you meanwhile."""

    days: float | None
    received: int

    @property
    def message(self) -> str:
        """The sync-health line: what was noticed and the likely fix."""
        if self.days is None:
            return "No mail from you at all: is your Sent folder included?"
        weeks = int(self.days // 7)
        return f"No mail from you in {weeks} weeks: is your Sent folder included?"

    @property
    def note(self) -> str:
        """What the losing-touch section says about what it left out, and why."""
        if self.days is None:
            return ("Not shown: the store holds no mail from you, so everyone would look like "
                    "they are fading.")
        return (f"Showing only people who went quiet before you did: you have sent no mail in "
                f"{int(self.days // 7)} weeks.")

    def predates(self, silence_days: float) -> bool:
        """Did a contact silent for ``silence_days`` go quiet before you did?"""
        return self.days is not None and silence_days > self.days


def own_silence(frame: Frame, as_of: int) -> OwnSilence | None:
    """Your silence at ``as_of`` (UTC seconds) when it is :data:`QUIET_DAYS` or longer while
    other people's mail still arrives, else None."""
    before = frame.t < as_of
    live = before & ~frame.noise & (frame.t >= as_of - QUIET_DAYS * DAY)
    if not live.any():  # nothing arrives either: an old archive or a stalled sync, not you
        return None
    yours = before & ((frame.direction == OUT) | (frame.direction == MUTUAL))
    last = int(frame.t[yours].max()) if yours.any() else None
    if last is not None and as_of - last < QUIET_DAYS * DAY:
        return None
    since = before if last is None else before & (frame.t > last)
    return OwnSilence(None if last is None else (as_of - last) / DAY, int(np.count_nonzero(since)))
