"""Assemble the weekly summary for one store, config and as-of time, and wrap it as an email.

``build_summary`` gathers every section into a :class:`Summary` (plain data, deterministic for
a given store and as-of); :mod:`daemon.render` turns it into text, HTML or JSON;
``summary_message`` makes the ``multipart/alternative`` message the scheduler sends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from daemon.config import Config
from daemon.render import render_html, render_json, render_text
from daemon.scored import Entry, Scored
from daemon.sections import (
    AccountHealth,
    NewRelationship,
    OwedReply,
    active_snoozes,
    new_relationships,
    owed_replies,
    sync_health,
)
from daemon.store import Store

__all__ = ["Summary", "build_summary", "summary_message", "render_text", "render_html",
           "render_json", "iso_week"]

HIDDEN_BECAUSE = ("ignored", "snoozed")


@dataclass(frozen=True)
class Summary:
    """Everything the weekly summary shows, and every number behind it."""

    as_of: datetime  # aware
    timezone: str
    week: str  # ISO week of as_of in the report time zone, e.g. 2026-W48
    losing_touch: tuple[Entry, ...]  # the top N
    dormant: tuple[Entry, ...]  # the first few
    owed: tuple[OwedReply, ...]
    new: tuple[NewRelationship, ...]
    health: tuple[AccountHealth, ...]
    everyone: tuple[Entry, ...]  # every scored person (for --all)
    totals: dict[str, int] = field(default_factory=dict)  # section sizes before the cut
    sender: str = "keepwarm@localhost"
    to: str = "keepwarm@localhost"
    settings: dict[str, int] = field(default_factory=dict)  # top, dormant, owed_reply_days...

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.timezone)

    @property
    def problems(self) -> tuple[AccountHealth, ...]:
        return tuple(h for h in self.health if h.problem)

    @property
    def subject(self) -> str:
        n = len(self.losing_touch)
        who = ("nobody you're losing touch with" if n == 0 else
               "1 person you're losing touch with" if n == 1 else
               f"{n} people you're losing touch with")
        return f"Keepwarm: {who} (week {self.week})"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def iso_week(as_of: datetime, tz: str = "UTC") -> str:
    """``2026-W48``: the ISO week of ``as_of`` in time zone ``tz``."""
    year, week, _ = as_of.astimezone(_zone(tz)).isocalendar()
    return f"{year}-W{week:02d}"


def _score(store: Store, config: Config, as_of: datetime) -> Scored:
    from daemon.scoring import score  # the model; imported late so the report loads without it

    return score(store, config, as_of)


def _hider(config: Config, scored: Scored, snoozed: set[str]) -> Callable[[str], bool]:
    """address -> whether the summary must leave it out (ignored or snoozed)."""
    hidden = set(snoozed)
    for entry in scored.everyone:
        if entry.excluded_because in HIDDEN_BECAUSE:
            hidden.update(entry.addresses)
            hidden.add(entry.key)
    rule = _ignore_rule(config)

    def hide(address: str) -> bool:
        return address in hidden or rule(address)

    return hide


def _ignore_rule(config: Config) -> Callable[[str], bool]:
    """The ``[ignore]`` rules as a predicate (applied at report time: edits need no re-sync)."""
    from daemon.ignore import Matcher

    matcher = Matcher(config.ignore)
    return matcher.ignored if matcher else (lambda address: False)


def _people(scored: Scored) -> dict[str, Entry]:
    return {a: e for e in scored.everyone for a in (e.key, *e.addresses)}


def build_summary(store: Store, config: Config, as_of: datetime,
                  scored: Scored | None = None) -> Summary:
    """The weekly summary at ``as_of`` (aware; naive means UTC). ``scored`` overrides the model
    (tests and the backtest pass their own)."""
    as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    scored = scored if scored is not None else _score(store, config, as_of)
    rep = config.report
    with store.session() as s:
        hide = _hider(config, scored, active_snoozes(s, as_of))
        owed = owed_replies(s, as_of, min_days=rep.owed_reply_days, max_group=rep.group_size,
                            hidden=hide)
        new = new_relationships(s, as_of, max_group=rep.group_size, hidden=hide)
        health = sync_health(s, as_of, [(a.name, a.kind) for a in config.accounts if a.enabled])
    people = _people(scored)
    owed = [_named(o, people) for o in owed]
    new = [_named(n, people) for n in new]
    losing = [e for e in scored.losing_touch if not hide(e.key)]
    dormant = [e for e in scored.dormant if not hide(e.key)]
    return Summary(
        as_of=as_of, timezone=rep.timezone, week=iso_week(as_of, rep.timezone),
        losing_touch=tuple(losing[: rep.top]), dormant=tuple(dormant[: rep.dormant]),
        owed=tuple(owed), new=tuple(new), health=tuple(health), everyone=scored.everyone,
        totals={"losing_touch": len(losing), "dormant": len(dormant), "owed": len(owed),
                "new": len(new), "scored": len(scored.everyone)},
        sender=_sender(config), to=_recipient(config),
        settings={"top": rep.top, "dormant": rep.dormant,
                  "owed_reply_days": rep.owed_reply_days, "group_size": rep.group_size},
    )


def _named(row, people: dict[str, Entry]):  # type: ignore[no-untyped-def]
    """Use the person's best name (identity groups from ``[[people]]`` included)."""
    entry = people.get(row.address)
    if entry is None or not entry.name or entry.name == row.name:
        return row
    return replace(row, name=entry.name)


def _recipient(config: Config) -> str:
    d = config.delivery
    return d.to or (config.me.addresses[0] if config.me.addresses else "") or d.sender \
        or "keepwarm@localhost"


def _sender(config: Config) -> str:
    d = config.delivery
    return d.sender or d.to or (config.me.addresses[0] if config.me.addresses else "") \
        or "keepwarm@localhost"


def message_id(summary: Summary) -> str:
    """Deterministic per recipient and as-of: a re-sent copy of one summary dedupes."""
    digest = hashlib.blake2b(f"{summary.to}|{summary.as_of.isoformat()}".encode(),
                             digest_size=8).hexdigest()
    domain = summary.sender.rpartition("@")[2] or "localhost"
    return f"<keepwarm.{summary.week}.{digest}@{domain}>"


def summary_message(summary: Summary) -> EmailMessage:
    """The summary as a ``multipart/alternative`` message: plain text first, then HTML."""
    msg = EmailMessage()
    msg["Subject"] = summary.subject
    msg["From"] = f"Keepwarm <{summary.sender}>"
    msg["To"] = summary.to
    msg["Date"] = format_datetime(summary.as_of.astimezone(UTC))
    msg["Message-ID"] = message_id(summary)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
    msg.set_content(render_text(summary), cte="quoted-printable")
    msg.add_alternative(render_html(summary), subtype="html", cte="quoted-printable")
    return msg
