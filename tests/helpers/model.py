"""Builders shared by the model tests: scoring, ignore rules and backtest.

``touch(...)`` describes one touchpoint in days before AS_OF; ``frame_of`` turns a list of
them into a :class:`daemon.model.frame.Frame`; ``store_of`` writes them through the real writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from daemon.model.frame import Frame, Person, build, seconds
from daemon.store import Store
from daemon.store.columns import DIRECTION_NAMES
from daemon.store.models import Account
from daemon.sync.meaning import Counterpart, Meaning
from daemon.sync.writer import write_page

AS_OF = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Touch:
    address: str
    days: float  # before AS_OF (negative: after)
    direction: str = "outbound"  # outbound | inbound | mutual
    meeting: bool = False
    group: int = 1
    noise: bool = False
    direct: bool = True
    thread: int = -1


def touch(address: str, days: float, direction: str = "outbound", **kw: object) -> Touch:
    if direction == "mutual":
        kw.setdefault("meeting", True)
    return Touch(address, days, direction, **kw)  # type: ignore[arg-type]


def every(address: str, gap: float, count: int, start: float = 0.0,
          directions: tuple[str, ...] = ("outbound", "inbound")) -> list[Touch]:
    """``count`` touches ``gap`` days apart, the newest ``start`` days ago, alternating."""
    return [touch(address, start + i * gap, directions[i % len(directions)])
            for i in range(count)]


def frame_of(touches: list[Touch], as_of: datetime = AS_OF) -> Frame:
    addresses = sorted({t.address for t in touches})
    index = {a: i for i, a in enumerate(addresses)}
    persons = [Person(a, a.split("@")[0].title(), (a,)) for a in addresses]
    at = seconds(as_of)
    return build(
        persons, [index[t.address] for t in touches],
        [at - round(t.days * 86400) for t in touches],
        [DIRECTION_NAMES.index(t.direction) for t in touches], [t.meeting for t in touches],
        [t.group for t in touches], [t.noise for t in touches], [t.direct for t in touches],
        [t.thread for t in touches])


def store_of(store: Store, touches: list[Touch], as_of: datetime = AS_OF) -> Store:
    """Write ``touches`` into ``store`` as one page of one account (one item per touch)."""
    with store.transaction() as s:
        account = Account(name="test", kind="mbox", status="ok")
        s.add(account)
        s.flush()
        items = []
        for n, t in enumerate(touches):
            channel = "meeting" if t.meeting else "email"
            meaning = Meaning(
                f"mid:{n}", None, channel, as_of - timedelta(days=t.days),
                f"t:{t.thread}" if t.thread >= 0 else None, t.noise, False,
                (Counterpart(t.address, t.address.split("@")[0].title(), t.direction, t.direct),),
                t.group)
            items.append((f"src{n}", meaning))
        write_page(s, account.id, items, [])
    return store
