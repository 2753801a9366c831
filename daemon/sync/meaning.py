"""Decide what a record means, once, for every source alike: its identity, its time, and one
touchpoint per counterpart with a direction, a group size and bulk/list flags.

A record that cannot be read (no date, no sender, a draft) is skipped with a reason.
A message of the user's to their own plus-tagged address (``you+kw.snooze.4w.TOKEN@...``) is a
command (:mod:`daemon.sync.commands`), never a touchpoint: it is kept in
:attr:`Interpreter.commands` for the engine to verify and carry out; one received from someone
else is skipped (``foreign_command``).
Every string a :class:`Meaning` carries fits its column and is valid UTF-8: names and addresses
come cleaned from :mod:`daemon.sync.addresses`, and an identity or thread key derived from an
over-long or unstorable id (a spammer's 2 KB Message-ID) is a hash of it, the same every time.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors.base import EventRecord, MessageRecord, Record
from daemon.store.vocab import Channel, Direction
from daemon.sync.addresses import clean, normalise, parse_addresses, storable
from daemon.sync.automation import is_automated_sender, is_bulk
from daemon.sync.commands import TAGGED, Tag, parse
from daemon.sync.dates import parse_date

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
AHEAD = {Channel.EMAIL: timedelta(days=2),
         Channel.MEETING: timedelta(days=400)}  # calendars run ahead
NOT_TOUCHPOINTS = {"draft", "drafts", "spam", "junk", "junk e-mail", "trash", "deleted items",
                   "chat", "chats", "outbox"}
KEY_MAX = 512  # items.identity, touchpoints.thread_key
SENT = {"sent", "sent items", "sentitems", "sent mail", "_sent_mail", "sent_items",
        "[gmail]/sent mail"}


@dataclass(frozen=True, slots=True)
class Counterpart:
    address: str
    name: str
    direction: Direction
    direct: bool  # the user was a direct (To:) party, or it was a meeting


@dataclass(frozen=True, slots=True)
class Meaning:
    """What one record amounts to in the store."""

    identity: str
    fingerprint: str | None
    channel: Channel
    at: datetime
    thread_key: str | None
    bulk: bool
    listed: bool
    counterparts: tuple[Counterpart, ...]
    participants: int  # everyone on the item but the user: each touchpoint's dilution

    @property
    def group_size(self) -> int:
        return max(1, self.participants, len(self.counterparts))


@dataclass(frozen=True, slots=True)
class Mailed:
    """A command found on a message the user sent: unverified until the engine checks it."""

    tag: Tag
    at: datetime
    identity: str


class Interpreter:
    """Turns records into :class:`Meaning` for one account, counting what it skips."""

    def __init__(self, me: set[str], account: str, now: datetime) -> None:
        self.me = {normalise(a) for a in me}
        self.account = account
        self.latest = {channel: now + ahead for channel, ahead in AHEAD.items()}
        self.skipped: Counter[str] = Counter()
        self.commands: list[Mailed] = []  # taken by the engine after each page

    def add_me(self, address: str) -> None:
        """Learn one more of the user's own addresses (e.g. the mailbox address an API reports)."""
        self.me.add(normalise(address))

    def interpret(self, record: Record) -> Meaning | None:
        if isinstance(record, MessageRecord):
            return self._message(record)
        return self._event(record)

    def _skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def _when(self, when: datetime | None, channel: Channel) -> datetime | None:
        if when is None:
            self._skip("bad_date")
            return None
        when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
        if not EARLIEST <= when <= self.latest[channel]:
            self._skip("implausible_date")
            return None
        return when

    def _message(self, rec: MessageRecord) -> Meaning | None:
        labels = {label.lower() for label in rec.labels}
        if labels & NOT_TOUCHPOINTS:
            self._skip("not_a_conversation")
            return None
        at = self._when(rec.when or parse_date(rec.date_header), Channel.EMAIL)
        if at is None:
            return None
        senders = parse_addresses(rec.from_, self.skipped)
        if not senders:
            self._skip("no_sender")
            return None
        name, sender = senders[0]
        to = parse_addresses(rec.to, self.skipped)
        others = parse_addresses(rec.cc + rec.bcc, self.skipped)
        outbound = sender in self.me or bool(labels & SENT)
        tags = [t for _, a in to + others if TAGGED in a and (t := parse(a, self.me)) is not None]
        if tags:
            if not outbound:  # anyone can write to the tagged address: never a command
                self._skip("foreign_command")
                return None
            identity = self._message_identity(rec)
            self.commands += [Mailed(t, at, identity) for t in tags]
            to, others = _untagged(to, self.me), _untagged(others, self.me)
            if not to + others:  # the command alone: nothing else to count
                return None
        if outbound:
            direct_to = {a for _, a in to}
            seen: dict[str, Counterpart] = {}
            for n, a in to + others:
                if a not in self.me and a not in seen:
                    seen[a] = Counterpart(a, n, Direction.OUTBOUND, a in direct_to)
            counterparts = tuple(seen.values())
        elif sender in self.me:
            counterparts = ()
        else:
            direct = any(a in self.me for _, a in to)
            counterparts = (Counterpart(sender, name, Direction.INBOUND, direct),)
        if not counterparts:
            self._skip("no_counterpart")
            return None
        participants = {sender, *(a for _, a in to + others)} - self.me
        listed = bool(rec.list_id) or (rec.precedence or "").strip().lower() == "list"
        bulk = is_bulk(rec, labels, listed) or (not outbound and is_automated_sender(sender))
        return Meaning(
            identity=self._message_identity(rec),
            fingerprint=_fingerprint(at, sender, sorted(participants)),
            channel=Channel.EMAIL, at=at, thread_key=_thread_key(rec), bulk=bulk, listed=listed,
            counterparts=counterparts, participants=len(participants),
        )

    def _message_identity(self, rec: MessageRecord) -> str:
        mid = (rec.message_id or "").strip().strip("<>").strip()
        return key("mid", mid) if mid else key("src", f"{self.account}:{rec.source_id}")

    def _event(self, rec: EventRecord) -> Meaning | None:
        if rec.status.lower() == "cancelled":
            self._skip("cancelled")
            return None
        at = self._when(rec.start, Channel.MEETING)
        if at is None:
            return None
        people = ([rec.organizer] if rec.organizer else []) + list(rec.attendees)
        mine = [p for p in people if p.is_self or normalise(p.address) in self.me]
        if any(p.response == "declined" for p in mine):  # the organiser's own decline too
            self._skip("declined")
            return None
        seen: dict[str, Counterpart] = {}
        for p in people:
            addr = normalise(p.address)
            if (p.is_self or addr in self.me or p.is_resource or p.response == "declined"
                    or "@" not in addr or addr.endswith("resource.calendar.google.com")):
                continue
            if not storable(addr):  # over-long, or bytes no column takes: not an address
                self._skip("malformed_address")
                continue
            seen.setdefault(addr, Counterpart(addr, clean(p.name), Direction.MUTUAL, True))
        if not seen:
            self._skip("no_counterpart")
            return None
        occurrence = (rec.occurrence or rec.start or at).astimezone(UTC).isoformat()
        identity = (f"{series_key(rec.uid)}{occurrence}" if rec.uid
                    else key("src", f"{self.account}:{rec.source_id}"))
        return Meaning(identity, None, Channel.MEETING, at, None, False, False,
                       tuple(seen.values()), len(seen))


def _untagged(pairs: list[tuple[str, str]], me: set[str]) -> list[tuple[str, str]]:
    return [(n, a) for n, a in pairs if TAGGED not in a or parse(a, me) is None]


def _fingerprint(at: datetime, sender: str, recipients: list[str]) -> str:
    """Finds copies of one email filed under different Message-IDs (e.g. 'sent' and 'all')."""
    # strftime("%Y%m%d%H%M%S"); printf-style is twice as fast as six f-string fields
    stamp = "%04d%02d%02d%02d%02d%02d" % (  # noqa: UP031
        at.year, at.month, at.day, at.hour, at.minute, at.second)
    raw = "|".join([stamp, sender, *recipients])
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def _thread_key(rec: MessageRecord) -> str | None:
    if rec.thread_id:
        return key("t", rec.thread_id)
    root = rec.references[0] if rec.references else rec.message_id
    root = (root or "").strip().strip("<>")
    return key("m", root) if root else None


def key(kind: str, raw: str, room: int = KEY_MAX) -> str:
    """``kind:raw``, or ``kind#`` and a hash of ``raw`` when that is longer than ``room`` or
    holds what no column takes (a lone surrogate, a control character): deterministic, so a
    re-read finds the same item, and ``#`` keeps it apart from every plain key."""
    text = f"{kind}:{raw}"
    if storable(text, room):
        return text
    digest = hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
    return f"{kind}#{digest}"


def series_key(uid: str) -> str:
    """The identity prefix of every occurrence of the recurring event ``uid``
    (``uid:UID:``, the occurrence's start follows); room is kept for that start."""
    return key("uid", uid, KEY_MAX - 40) + ":"
