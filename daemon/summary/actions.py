"""The summary's actions (issue 16): on each entry, ``mailto:`` links to the user's own address,
plus-tagged with a command and its token (:mod:`daemon.sync.commands`), and, in the next
summary, one line per command the sync carried out.

Nothing here leaves the user's mailbox: sending one of these messages puts a copy in their own
Sent folder, which the next sync reads as metadata (the address, never the subject or body).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from daemon.model.entries import Action, Entry
from daemon.store import Store, mailed
from daemon.sync.commands import COMMANDS, address, token

LABELS = {"snooze4w": "snooze 4 weeks", "snooze3m": "snooze 3 months",
          "ignoreperson": "ignore this person", "ignoredomain": "ignore this domain"}
# Ignoring one of these would hide everyone who writes from it: no domain action for them.
SHARED_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me",
    "protonmail.com", "pm.me", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com",
    "fastmail.com", "zoho.com", "yandex.com", "yandex.ru", "mail.ru", "qq.com", "163.com"})
CONFIRM_DAYS = 7  # a summary confirms what was carried out in the week before it
LOCAL_PART_MAX = 64  # RFC 5321: octets before the @


@dataclass(frozen=True, slots=True)
class Confirmation:
    """One command carried out since the last summary, said in words, with how to undo it."""

    command: str
    target: str  # the address snoozed or ignored, or the domain ignored
    until: datetime | None
    sent_at: datetime
    done_at: datetime
    text: str  # "Snoozed Nora Petrova until 14 Mar, from your message of 2 Dec."
    undo: str  # "keepwarm unsnooze nora@example.org"


def with_actions(entry: Entry, key: bytes, me: str, week: str) -> Entry:
    """``entry`` with its actions for ``week``: the user's address ``me`` plus-tagged."""
    domain = entry.key.rpartition("@")[2]
    own = me.rpartition("@")[2].lower()
    found = []
    for command in COMMANDS:
        if command == "ignoredomain" and (domain in SHARED_DOMAINS or domain == own):
            continue  # a colleague's or a webmail domain: that would hide far too many
        to = address(me, command, token(key, command, entry.key, week))
        if len(to.rpartition("@")[0]) > LOCAL_PART_MAX:
            continue  # submission servers refuse it: better no link than a broken one
        subject = "Keepwarm: " + COMMANDS[command][1].format(who=entry.name, domain=domain)
        url = f"mailto:{to}?subject={quote(subject)}"
        found.append(Action(command, LABELS[command], to, url))
    return replace(entry, actions=tuple(found))


def confirmations(store: Store, as_of: datetime, tz: ZoneInfo,
                  names: Mapping[str, str]) -> tuple[Confirmation, ...]:
    """The commands carried out in the week before ``as_of``, in words (``names``: address ->
    the person's best name)."""
    done = mailed.done_between(store, as_of - timedelta(days=CONFIRM_DAYS), as_of)
    return tuple(_confirm(d, tz, names.get(d.contact) or d.contact) for d in done)


def _confirm(d: mailed.Done, tz: ZoneInfo, name: str) -> Confirmation:
    sent = f"from your message of {_day(d.sent_at, tz)}"
    if d.command.startswith("snooze"):  # a longer snooze in force was kept (None: forever)
        end = "you unsnooze them" if d.until is None else _day(d.until, tz)
        text = f"Snoozed {name} until {end}, {sent}."
        undo = f"keepwarm unsnooze {d.target}"
    else:
        who = d.target if d.command == "ignoredomain" else name
        text = f"Ignoring {who} from now on, {sent}."
        undo = f"keepwarm ignore unignore {d.target}"
    return Confirmation(d.command, d.target, d.until, d.sent_at, d.done_at, text, undo)


def _day(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%-d %b")
