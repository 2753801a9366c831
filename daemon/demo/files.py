"""Write a demo :class:`~daemon.demo.history.History` as real files: a header-only mbox and an
iCalendar (.ics) file, exactly what the ``mbox`` and ``ics`` connectors read from a user.

Messages carry no subject and no body (Keepwarm never reads either); threads are linked with
``References`` (root first), bulk mail with ``List-Unsubscribe``/``Precedence``/``Auto-Submitted``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, formataddr
from pathlib import Path

from daemon.demo.history import ME, History, Meeting, Msg, Person


def _addresses(people: list[Person]) -> str:
    return ", ".join(formataddr(p) for p in people)


def mbox_entry(m: Msg) -> str:
    """One mbox entry: the ``From `` separator, the header block, an empty body."""
    lines = [f"From {m.sender[1]} {m.at.astimezone(UTC):%a %b %d %H:%M:%S %Y}",
             f"Message-ID: {m.mid}",
             f"Date: {format_datetime(m.at)}",
             f"From: {formataddr(m.sender)}",
             f"To: {_addresses(m.to)}"]
    if m.cc:
        lines.append(f"Cc: {_addresses(m.cc)}")
    if m.refs:
        lines.append(f"References: {' '.join(m.refs)}")
    lines.extend(f"{k}: {v}" for k, v in m.headers.items())
    lines.append("MIME-Version: 1.0")
    return "\n".join(lines) + "\n\n"


def write_mbox(history: History, path: Path) -> int:
    """Write every message to ``path`` (oldest first); return how many."""
    path.write_text("".join(mbox_entry(m) for m in history.messages), encoding="utf-8")
    return len(history.messages)


def _ics_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> list[str]:
    """RFC 5545 folding: lines of at most 75 octets, continuations start with a space."""
    out: list[str] = []
    raw = line.encode()
    while len(raw) > 75:
        cut = 75 if not out else 74
        while cut and (raw[cut] & 0xC0) == 0x80:  # never split a UTF-8 sequence
            cut -= 1
        out.append(raw[:cut].decode())
        raw = raw[cut:]
    out.append(raw.decode())
    return [out[0], *(" " + part for part in out[1:])]


def _party(prop: str, person: Person, partstat: str | None = None) -> str:
    name = person[0].replace('"', "")
    stat = f";PARTSTAT={partstat}" if partstat else ""
    return f'{prop};CN="{name}"{stat}:mailto:{person[1]}'


def vevent(m: Meeting, stamp: datetime) -> list[str]:
    """The VEVENT lines of one meeting (me attending, everyone accepted)."""
    lines = ["BEGIN:VEVENT", f"UID:{m.uid}", f"DTSTAMP:{_ics_time(stamp)}",
             f"DTSTART:{_ics_time(m.start)}",
             f"DTEND:{_ics_time(m.start + timedelta(minutes=m.minutes))}",
             "STATUS:CONFIRMED", _party("ORGANIZER", m.organizer)]
    if m.rrule:
        lines.append(f"RRULE:{m.rrule}")
    seen = {m.organizer[1]}
    for person in [ME, *m.attendees]:
        if person[1] not in seen:
            seen.add(person[1])
            lines.append(_party("ATTENDEE", person, "ACCEPTED"))
    lines.append("END:VEVENT")
    return lines


def write_ics(history: History, path: Path) -> int:
    """Write every meeting to one VCALENDAR at ``path``; return how many events."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Keepwarm//demo//EN",
             "CALSCALE:GREGORIAN"]
    for m in history.meetings:
        lines.extend(vevent(m, history.as_of))
    lines.append("END:VCALENDAR")
    folded = [part for line in lines for part in _fold(line)]
    path.write_bytes(("\r\n".join(folded) + "\r\n").encode())
    return len(history.meetings)
