"""Gather the weekly summary for one store, config and as-of time.

``build_summary`` decides once who is hidden (:class:`~daemon.model.hidden.Hidden`: ignored or
snoozed) and hands that to the model and every section, reads the store-only sections and cuts
each to its size, giving a :class:`~daemon.summary.content.Summary` (plain data, deterministic
for a given store and as-of). :mod:`daemon.summary.render` turns it into text, HTML or JSON;
:mod:`daemon.summary.message` wraps it as an email.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from daemon.clock import zone
from daemon.config import Config
from daemon.model.entries import Entry, Scored, Who
from daemon.model.hidden import Hidden
from daemon.model.rank import score
from daemon.store import Store
from daemon.store.columns import touchpoint_columns
from daemon.summary import claims, message
from daemon.summary.actions import confirmations, with_actions
from daemon.summary.content import Summary, week_label
from daemon.summary.links import contact_links, thread_links
from daemon.summary.sections import (
    new_relationships,
    owed_by_person,
    owed_replies,
    sync_health,
)
from daemon.sync.commands import secret


class _Names(Mapping[str, str]):
    """Each scored person's best name by address, read through to the model's people."""

    def __init__(self, people: Mapping[str, Who]) -> None:
        self._people = people

    def __getitem__(self, address: str) -> str:
        return self._people[address].name

    def __iter__(self) -> Iterator[str]:
        return iter(self._people)

    def __len__(self) -> int:
        return len(self._people)


def build_summary(store: Store, config: Config, as_of: datetime,
                  scored: Scored | None = None, *, full: bool = False,
                  state_dir: Path | None = None) -> Summary:
    """The weekly summary at ``as_of`` (aware; naive means UTC). ``scored`` overrides the model
    (tests and the backtest pass their own); ``full`` (``--all``) caps no section;
    ``state_dir`` (where the installation's secret lives) gives each entry its mailed actions."""
    as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    # read once: for who is hidden, for the model, and for owed replies and new relationships
    columns = touchpoint_columns(store, keys=True)
    hidden = Hidden.at(store, config, as_of, columns)
    scored = scored if scored is not None else score(store, config, as_of, hidden=hidden,
                                                     columns=columns)
    rep = config.report
    owed = owed_replies(columns, as_of, min_days=rep.owed_reply_days, max_group=rep.group_size,
                        hidden=hidden)
    new = new_relationships(columns, as_of, max_group=rep.group_size, hidden=hidden)
    del columns
    member = store.member_id
    with store.session() as s:
        health = sync_health(s, as_of, [(a.name, a.kind) for a in config.accounts if a.enabled],
                             member=member, organisation={
                                 a.name for a in config.accounts
                                 if getattr(a, "auth", "user") == "organisation"})
        week = week_label(as_of.astimezone(zone(rep.timezone)).date())
        shown = (scored.losing_touch.where(lambda key: not hidden(key)),
                 scored.dormant.where(lambda key: not hidden(key)))
        losing_total, dormant_total = len(shown[0]), len(shown[1])
        # only the entries shown are built (Ranked): a big store scores thousands
        losing = _linked(s, config, as_of, list(shown[0] if full else shown[0][: rep.top]),
                         member)
        dormant = _linked(s, config, as_of,
                          list(shown[1] if full else shown[1][: rep.dormant]), member)
        threads = thread_links(s, config, as_of, {o.thread_key for o in owed}, member=member)
    owed = [replace(o, link=threads.get(o.thread_key)) for o in owed]
    undelivered = tuple(row.iso_week for row in claims.missed(store, week))
    people = scored.everyone.by_address()  # no entry is built for it
    owed = [_named(o, people) for o in owed]
    owed_people = owed_by_person(owed, {o.address: people[o.address].strength
                                        for o in owed if o.address in people})
    new = [_named(n, people) for n in new]
    if state_dir is not None and config.me.addresses:
        key, me = secret(state_dir, store.member), config.me.addresses[0]
        losing = [with_actions(e, key, me, week) for e in losing]
        dormant = [with_actions(e, key, me, week) for e in dormant]
    done = confirmations(store, as_of, zone(rep.timezone), _Names(people))
    return Summary(
        as_of=as_of, timezone=rep.timezone,
        week=week, undelivered=undelivered,
        losing_touch=tuple(losing), dormant=tuple(dormant), done=done,
        owed=tuple(owed), new=tuple(new), health=tuple(health), everyone=scored.everyone,
        totals={"losing_touch": losing_total, "dormant": dormant_total, "owed": len(owed),
                "owed_people": len(owed_people), "new": len(new),
                "scored": len(scored.everyone)},
        owed_people=tuple(owed_people), full=full, own_silence=scored.own_silence,
        sender=message.sender(config), to=message.recipient(config),
        settings={"top": rep.top, "dormant": rep.dormant,
                  "owed_reply_days": rep.owed_reply_days, "group_size": rep.group_size,
                  "owed_limit": rep.owed_limit},
    )


def _named(row, people: Mapping[str, Who]):  # type: ignore[no-untyped-def]
    """Use the person's best name (identity groups from ``[[people]]`` included)."""
    entry = people.get(row.address)
    if entry is None or not entry.name or entry.name == row.name:
        return row
    return replace(row, name=entry.name)


def _linked(session: Session, config: Config, as_of: datetime,
            entries: list[Entry], member: int) -> list[Entry]:
    """``entries``, each with the link to the last conversation where its source allows one."""
    links = contact_links(session, config, as_of, [(e.key, (e.key, *e.addresses))
                                                   for e in entries], member=member)
    return [replace(e, link=links.get(e.key)) for e in entries]
