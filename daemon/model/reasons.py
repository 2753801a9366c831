"""The one sentence per entry, built only from its numbers, in words a person believes.

    "You usually talk every ~2 weeks; it has been 7 weeks. Last: you emailed them on 3 Oct."
"""

from __future__ import annotations

from datetime import datetime

from daemon.model.vocab import Exclusion, Group, Shape
from daemon.store.vocab import Direction

EXCLUDED = {
    Exclusion.IGNORED: "Hidden by your [ignore] rules.",
    Exclusion.SNOOZED: "Snoozed{until}.",
    Exclusion.BULK: "Only automated or list mail; not a conversation.",
    Exclusion.GROUP_ONLY: "Only seen in large threads or meetings.",
    Exclusion.INBOUND_ONLY: "They write to you, but you have never written back or met.",
    Exclusion.TOO_NEW: "Too new to have a rhythm yet ({count} so far).",
    Exclusion.OUTBOUND_ONLY: "You write to them, but they have never written to you or met you.",
    Exclusion.LIST: "A mailing list or group address, not a person.",
    Exclusion.AUTOMATED: "An automated sender, not a person.",
    Exclusion.UPCOMING_MEETING: "A meeting is already on the calendar for {meeting}.",
}


def span(days: float) -> str:
    """A duration in the unit a person would use: '5 days', '7 weeks', '4 months', '2 years'."""
    if days < 1.5:
        return "a day"
    if days < 14:
        return f"{round(days)} days"
    if days < 63:
        return f"{round(days / 7)} weeks"
    if days < 548:
        return f"{round(days / 30.44)} months"
    years = days / 365.25
    return f"{years:.0f} years" if years >= 2 else "over a year"


def every(days: float) -> str:
    """'every ~2 weeks', 'every week', 'every ~3 months'."""
    if days < 1.5:
        return "every day"
    if 5.5 <= days < 9:
        return "every week"
    text = span(days)
    count, unit = text.split(" ", 1)
    return f"every ~{unit.rstrip('s')}" if count == "1" else f"every ~{text}"


# what %b gives in the C locale (Keepwarm never sets another), without strftime's cost: a
# report writes a date into the reason of every contact
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day(when: datetime, as_of: datetime) -> str:
    """'3 Oct', with the year when it is not the as-of year."""
    text = f"{when.day} {MONTHS[when.month - 1]}"
    return text if when.year == as_of.year else f"{text} {when.year}"


def last_touch(direction: Direction | None, meeting: bool, shape: Shape | None, when: datetime,
               as_of: datetime) -> str:
    """'Last: you emailed them on 3 Oct.' and its variants for meetings and inbound mail."""
    on = day(when, as_of)
    if meeting:
        return f"Last: you met on {on}."
    if direction == Direction.OUTBOUND:
        tail = " and have not heard back" if shape == Shape.THEY_WENT_QUIET else ""
        return f"Last: you emailed them on {on}{tail}."
    if shape == Shape.OWE_REPLY:
        return f"Last: they emailed you on {on}; you have not replied."
    return f"Last: they emailed you on {on}."


def sentence(*, group: Group, excluded: Exclusion | None, rhythm: float, gaps: float,
             silence: float, count: int, direction: Direction | None, meeting: bool,
             shape: Shape | None, last_at: datetime | None, as_of: datetime,
             snooze_until: datetime | None = None, meeting_at: datetime | None = None) -> str:
    """The reason for one entry, from its numbers."""
    if excluded:
        until = f" until {day(snooze_until, as_of)}" if snooze_until else ""
        meet = day(meeting_at, as_of) if meeting_at else "soon"
        return EXCLUDED[excluded].format(
            until=until, meeting=meet,
            count="one interaction" if count == 1 else f"{count} interactions")
    if last_at is None:
        return "No interaction yet."
    knows = gaps >= 2
    last = last_touch(direction, meeting, shape, last_at, as_of)
    if group == Group.DORMANT:
        head = (f"You used to talk {every(rhythm)}" if knows
                else f"You were in touch {count} times")
        return f"{head}; silent for {span(silence)}. {last}"
    if knows:
        head = f"You usually talk {every(rhythm)}"
    else:
        head = f"You have been in touch {count} times"
    if group == Group.LOSING_TOUCH:
        return f"{head}; it has been {span(silence)}. {last}"
    when = "today" if silence < 1 else f"{span(silence)} ago"
    return f"{head}; last contact {when}. {last}"
