"""The model's own vocabularies: the group an entry falls in and the shape of a drift.

Member order is the integer code :mod:`daemon.model.assess` computes (``tuple(Group)[code]``).
"""

from __future__ import annotations

from enum import StrEnum


class Group(StrEnum):
    LOSING_TOUCH = "losing_touch"
    DORMANT = "dormant"
    STEADY = "steady"
    EXCLUDED = "excluded"


class Shape(StrEnum):
    """How a tie is drifting: whose move it is."""

    OWE_REPLY = "owe_reply"  # their direct mail was last
    THEY_WENT_QUIET = "they_went_quiet"  # your mail was last, and it was not a reply
    MUTUAL_FADE = "mutual_fade"  # meetings, cc, or your reply closing their thread
