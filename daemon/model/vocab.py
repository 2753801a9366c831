"""The model's own vocabularies: the group an entry falls in, why it is excluded, and the shape
of a drift.

Member order is the integer code :mod:`daemon.model.assess` computes (``tuple(Group)[code]``).
"""

from __future__ import annotations

from enum import StrEnum


class Group(StrEnum):
    LOSING_TOUCH = "losing_touch"
    DORMANT = "dormant"
    STEADY = "steady"
    EXCLUDED = "excluded"


class Exclusion(StrEnum):
    """Why a person is left out of the ranking (first matching reason wins, in this order)."""

    NONE = ""  # not excluded
    IGNORED = "ignored"  # by the [ignore] rules
    SNOOZED = "snoozed"
    BULK = "bulk"  # only automated or list mail
    GROUP_ONLY = "group_only"  # only large threads or meetings
    INBOUND_ONLY = "inbound_only"  # you never wrote back or met
    TOO_NEW = "too_new"  # too young for a rhythm
    UPCOMING_MEETING = "upcoming_meeting"  # a meeting is already on the calendar
    # issue 17 (appended, so the codes above keep their values):
    OUTBOUND_ONLY = "outbound_only"  # they never wrote to you or met you
    LIST = "list"  # a mailing list, group alias or role address
    AUTOMATED = "automated"  # a robot, however often you answer it


class Shape(StrEnum):
    """How a tie is drifting: whose move it is."""

    OWE_REPLY = "owe_reply"  # their direct mail was last
    THEY_WENT_QUIET = "they_went_quiet"  # your mail was last, and it was not a reply
    MUTUAL_FADE = "mutual_fade"  # meetings, cc, or your reply closing their thread
