"""Addresses that are not people, decided at report time from the store (no re-sync, no new
column): mailing lists, group aliases and role addresses, and automated senders.

- **List or role address**: a mailing-list host (``*@vger.kernel.org``, ``*@lists.*``,
  ``*@googlegroups.com``, ...), or an address that never wrote to the user and met them never,
  yet received the user's mail in several threads together with many different correspondents.
- **Automated sender**: a noreply, role or ``bot``/``robot`` address or name
  (:func:`daemon.sync.automation.robot_name`); mail mostly marked bulk or ``Auto-Submitted``;
  or a sender of many threads the user almost never answers (in threads and in messages), and
  who never writes back when they do (a build robot answered "thanks" now and then is still a
  robot).

``[ignore] keep`` names addresses never treated so. A ``[[people]]`` group is left out only
when every one of its addresses is (:class:`daemon.model.hidden.Hidden` decides per person).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from functools import lru_cache

from daemon.store import Store
from daemon.store.columns import TouchpointColumns
from daemon.store.contacts import touchpoint_counts
from daemon.store.roles import Exchange, Threads, audience, exchanges, exchanges_of, threads
from daemon.sync.addresses import normalise
from daemon.sync.automation import robot_name

LIST_HOSTS = ("vger.kernel.org", "googlegroups.com", "groups.io", "freelists.org",
              "lists.sourceforge.net", "yahoogroups.com")
LIST_LABELS = {"lists", "list", "mailman"}  # a host label that only list servers use
LIST_THREADS, LIST_PEOPLE = 5, 20  # "several threads", "many different correspondents"
ROBOT_THREADS = 20  # enough threads to judge how a sender is answered
ROBOT_ANSWERED = 0.02  # the user answers at most this share of a robot's threads (1 in 50)


@dataclass(frozen=True)
class Roles:
    """Addresses that are not people, each with the reason in words."""

    lists: Mapping[str, str] = field(default_factory=dict)
    automated: Mapping[str, str] = field(default_factory=dict)

    def of(self, address: str) -> str | None:
        """The kind of a classified address (``list`` or ``automated``), else None."""
        if address in self.lists:
            return "list"
        return "automated" if address in self.automated else None


def list_host(address: str) -> str | None:
    """The reason when ``address`` is at a mailing-list host, else None."""
    return _list_domain(address.rpartition("@")[2].lower())


@lru_cache(maxsize=4096)  # a report asks for every contact; most share a few domains
def _list_domain(domain: str) -> str | None:
    if any(domain == h or domain.endswith("." + h) for h in LIST_HOSTS):
        return f"mailing-list host ({domain})"
    if LIST_LABELS & set(domain.split(".")[:-2]):
        return f"mailing-list host ({domain})"
    return None


def _list_by_use(x: Exchange, reach: tuple[int, int] | None) -> str | None:
    if reach is None or x.inbound - x.inbound_bulk > 0 or x.meetings:
        return None
    threads, people = reach
    if threads >= LIST_THREADS and people >= LIST_PEOPLE:
        return (f"never wrote to you; got your mail in {threads} threads "
                f"with {people} different correspondents")
    return None


def _may_be_robot(x: Exchange) -> bool:
    """Enough mail from them, and almost none to them, to look at their threads. By message
    counts too: where mail carries no thread headers every message is a thread of its own,
    and a person answered each time would look unanswered."""
    return x.inbound >= ROBOT_THREADS and x.outbound <= ROBOT_ANSWERED * x.inbound


def _robot_by_use(x: Exchange, t: Threads | None) -> str | None:
    if x.inbound_bulk >= 2 and 2 * x.inbound_bulk >= x.inbound:
        return f"{x.inbound_bulk} of {x.inbound} messages carried bulk or automated headers"
    if (t is not None and t.wrote >= ROBOT_THREADS and t.answered == 0
            and t.replied <= ROBOT_ANSWERED * t.wrote):
        if not t.replied:
            return f"wrote in {t.wrote} threads; you never answered"
        return (f"wrote in {t.wrote} threads; you answered {t.replied}, "
                "and it never wrote back to an answer")
    return None


def classify(rows: Iterable[Exchange], reach: Mapping[int, tuple[int, int]],
             answers: Mapping[int, Threads], keep: Iterable[str] = ()) -> Roles:
    """:class:`Roles` from the store's exchanges, the audience of one-way addresses and the
    threads of possible robots; addresses matching ``keep`` (exact, or shell-style patterns)
    are people."""
    kept = [normalise(k) if not any(c in k for c in "*?[") else k.lower() for k in keep]
    lists: dict[str, str] = {}
    robots: dict[str, str] = {}
    for x in rows:
        if kept and any(fnmatchcase(x.address, k) for k in kept):
            continue
        why = list_host(x.address) or _list_by_use(x, reach.get(x.contact_id))
        if why:
            lists[x.address] = why
            continue
        why = robot_name(x.address, x.name) or _robot_by_use(x, answers.get(x.contact_id))
        if why:
            robots[x.address] = why
    return Roles(lists, robots)


def roles_at(store: Store, before: datetime, keep: Iterable[str] = (),
             columns: TouchpointColumns | None = None) -> Roles:
    """Classify every contact of ``store`` from what happened before ``before``; ``columns``
    (the store's, when already read) spare the grouped read of every touchpoint."""
    member = store.member_id
    with store.session() as s:
        counted = exchanges_of(columns, before) if columns is not None else None
        rows = counted if counted is not None else exchanges(s, before, member)
        one_way = [x.contact_id for x in rows
                   if x.inbound == x.inbound_bulk and not x.meetings
                   and x.outbound >= LIST_THREADS]
        reach = audience(s, one_way, before, {x.contact_id for x in rows if x.inbound})
        answers = threads(s, [x.contact_id for x in rows if _may_be_robot(x)], before)
    return classify(rows, reach, answers, keep)


@dataclass(frozen=True, slots=True)
class NotAPerson:
    """One address left out by itself, for ``keepwarm ignore check``."""

    kind: str  # list | automated
    address: str
    reason: str
    touchpoints: int


def explain(store: Store, before: datetime, keep: Iterable[str] = ()) -> list[NotAPerson]:
    """Every address :func:`roles_at` leaves out, lists first, each kind the most-touched
    first (the ones a user would miss most, should a rule be wrong)."""
    roles = roles_at(store, before, keep)
    member = store.member_id
    with store.session() as s:
        counts = {a: n for a, _, n in touchpoint_counts(s, member)}
    rows = [NotAPerson(kind, a, why, counts.get(a, 0))
            for kind, found in (("list", roles.lists), ("automated", roles.automated))
            for a, why in found.items()]
    return sorted(rows, key=lambda r: (r.kind != "list", -r.touchpoints, r.address))
