"""Invent the demo's seeded two-year history of mail and meetings, relative to an as-of time.

Who plays which part is drawn from the seed; every time is an offset before (or, for the
calendar, after) as-of, so one seed and one as-of always give the same history. The parts:
colleagues with weekly rhythms, clients with monthly ones, quarterly check-ins, three
relationships that fade (one per shape), two long-dormant ties, owed replies, two new
relationships, newsletters, noreply senders, list traffic, big group threads and meetings,
one of them upcoming. :mod:`daemon.demo.files` writes it as an mbox and an .ics file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

Person = tuple[str, str]  # (display name, address)

ME: Person = ("Alex Morgan", "alex@larkspur.example")
FIRST = ["Dana", "Marco", "Priya", "Tomás", "Ingrid", "Kenji", "Amara", "Lucas", "Sofia", "Omar",
         "Hannah", "Rafael", "Mei", "Jonas", "Aisha", "Felix", "Nora", "Diego", "Yuki", "Elena",
         "Samuel", "Leila", "Victor", "Chloe", "Ravi", "Greta"]
LAST = ["Whitfield", "Rossi", "Shah", "Alvarez", "Berg", "Tanaka", "Okafor", "Moreau", "Costa",
        "Haddad", "Becker", "Silva", "Chen", "Lindqvist", "Bello", "Novak", "Keane", "Ortega",
        "Sato", "Petrova", "Mensah", "Farahani", "Dubois", "Laurent", "Iyer", "Holm"]
CLIENT_DOMAINS = ["northwind.example", "contoso.example", "fabrikam.example",
                  "tailspin.example", "wingtip.example", "adatum.example"]
OTHER_DOMAINS = ["mentor.example", "seedfund.example", "oldco.example", "partnerly.example"]


@dataclass
class Msg:
    at: datetime
    sender: Person
    to: list[Person]
    cc: list[Person] = field(default_factory=list)
    mid: str = ""
    refs: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # bulk and list headers


@dataclass
class Meeting:
    uid: str
    start: datetime
    minutes: int
    organizer: Person
    attendees: list[Person]
    rrule: str | None = None


@dataclass
class History:
    as_of: datetime
    seed: int
    messages: list[Msg] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    roles: dict[str, list[Person]] = field(default_factory=dict)

    @property
    def fading(self) -> list[Person]:
        """The relationships planted to fade: the summary must name them."""
        return self.roles["fade_mutual"] + self.roles["fade_quiet"] + self.roles["fade_owe"]


class Builder:
    """Adds threads and meetings at offsets before as-of, with seeded jitter."""

    def __init__(self, as_of: datetime, seed: int) -> None:
        self.rng = random.Random(seed)
        self.h = History(as_of.replace(microsecond=0), seed)
        self.seq = 0
        self._names = [f"{f} {surname}" for f, surname in
                       zip(self.rng.sample(FIRST, len(FIRST)), self.rng.sample(LAST, len(LAST)),
                           strict=True)]

    def person(self, domain: str) -> Person:
        name = self._names.pop()
        first, last = name.lower().split(" ", 1)
        local = f"{first}.{last}".replace("á", "a").replace("ó", "o")
        return name, f"{local}@{domain}"

    def when(self, days_ago: float, hour: int | None = None) -> datetime:
        """A working-hours moment ``days_ago`` days before as-of (weekends moved to Friday)."""
        day = self.h.as_of - timedelta(days=days_ago)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        h = hour if hour is not None else self.rng.randint(8, 17)
        return day.replace(hour=h, minute=self.rng.randrange(0, 60, 5), second=0)

    def mid(self) -> str:
        self.seq += 1
        return f"<demo.{self.h.seed}.{self.seq}@larkspur.example>"

    def thread(self, start: datetime, person: Person, turns: str, cc: list[Person] | None = None,
               gap: tuple[int, int] = (1, 26)) -> None:
        """A thread with ``person``: ``turns`` like "tmt" (t: they write, m: I write)."""
        at, refs = start, list[str]()
        for turn in turns:
            if at >= self.h.as_of:
                return
            mid = self.mid()
            sender, to = (person, [ME]) if turn == "t" else (ME, [person])
            self.h.messages.append(Msg(at, sender, to, list(cc or []), mid, list(refs)))
            refs.append(mid)
            at += timedelta(hours=self.rng.randint(*gap), minutes=self.rng.randrange(60))

    def rhythm(self, person: Person, every: float, first: float, last: float,
               turns: tuple[str, ...] = ("tm", "mtm", "tmtm", "tmm"), jitter: float = 0.2) -> None:
        """Exchanges every ~``every`` days from ``first`` to ``last`` days before as-of."""
        ago = first
        while ago >= last:
            self.thread(self.when(ago), person, self.rng.choice(turns))
            ago -= every * self.rng.uniform(1 - jitter, 1 + jitter)

    def meeting(self, days: float, people: list[Person], minutes: int = 30, hour: int = 14,
                rrule: str | None = None, organizer: Person = ME) -> None:
        """A meeting ``days`` before as-of (negative: upcoming)."""
        start = (self.h.as_of - timedelta(days=days)).replace(hour=hour, minute=0, second=0)
        self.seq += 1
        self.h.meetings.append(Meeting(f"demo-{self.h.seed}-{self.seq}@larkspur.example", start,
                                       minutes, organizer, people, rrule))

    def bulk(self, at: datetime, sender: Person, headers: dict[str, str],
             to: list[Person] | None = None) -> None:
        self.h.messages.append(Msg(at, sender, to or [ME], [], self.mid(), [], headers))


def build_history(as_of: datetime, seed: int = 7) -> History:
    """The whole seeded history at ``as_of``; ``History.roles`` says who plays which part."""
    b = Builder(as_of, seed)
    rng, roles = b.rng, b.h.roles
    home = ME[1].rpartition("@")[2]
    roles["colleagues"] = [b.person(home) for _ in range(5)]
    roles["manager"] = [b.person(home)]
    roles["clients"] = [b.person(d) for d in CLIENT_DOMAINS[:4]]
    roles["quarterly"] = [b.person(d) for d in OTHER_DOMAINS[:3]]
    roles["fade_mutual"] = [b.person(CLIENT_DOMAINS[4])]
    roles["fade_quiet"] = [b.person(OTHER_DOMAINS[3])]
    roles["fade_owe"] = [b.person(CLIENT_DOMAINS[5])]
    roles["dormant"] = [b.person("oldco.example"), b.person("formerly.example")]
    roles["upcoming"] = [b.person("seedfund.example")]
    roles["owed"] = [roles["colleagues"][0], roles["clients"][1]]
    roles["new"] = [b.person("newfriend.example"), b.person("intro.example")]
    _relationships(b, rng, roles)
    _recent(b, roles)
    _machines_and_crowds(b, rng, roles)
    b.h.messages.sort(key=lambda m: m.at)
    b.h.meetings.sort(key=lambda m: m.start)
    return b.h


def _relationships(b: Builder, rng: random.Random, roles: dict[str, list[Person]]) -> None:
    """Steady rhythms, the three planted fades and the dormant ties."""
    for i, p in enumerate(roles["colleagues"]):
        b.rhythm(p, 7, rng.randint(300, 700) if i else 700, 8)
    team = roles["colleagues"] + roles["manager"] + [ME]
    b.meeting(7 * 30, team, 45, 10, rrule="FREQ=WEEKLY;COUNT=34")  # the weekly team sync
    for week in range(2, 100, 2):  # one-to-one with the manager every other week
        b.meeting(week * 7 + 1, [roles["manager"][0]], 30, 16)
    b.rhythm(roles["manager"][0], 21, 700, 10)
    for p in roles["clients"]:
        b.rhythm(p, 30, rng.randint(400, 720), 12 if p is not roles["clients"][1] else 20,
                 turns=("tm", "mtm", "tmtm"))
        for months in range(1, 24, 3):
            b.meeting(months * 30 + rng.randint(0, 10), [p], 60, 11)
    for p in roles["quarterly"]:
        b.rhythm(p, 91, 720, rng.randint(20, 60), turns=("mtm", "tm"), jitter=0.1)
    upcoming = roles["upcoming"][0]
    b.rhythm(upcoming, 91, 720, 130, turns=("mtm",), jitter=0.05)
    b.meeting(-6, [upcoming], 45, 15)  # overdue, but already on the calendar
    mutual = roles["fade_mutual"][0]  # monthly for almost two years, then both stopped
    b.rhythm(mutual, 28, 700, 150, turns=("tm", "mtm", "tmtm"))
    b.thread(b.when(140), mutual, "tm")
    quiet = roles["fade_quiet"][0]  # every two weeks, then my last two messages went unanswered
    b.rhythm(quiet, 14, 420, 60, turns=("tm", "mtm"))
    b.thread(b.when(50), quiet, "m")
    b.thread(b.when(36), quiet, "m")
    owe = roles["fade_owe"][0]  # every three weeks, and their last message is unanswered
    b.rhythm(owe, 21, 500, 80, turns=("tm", "mtm"))
    b.thread(b.when(62), owe, "mt")
    b.thread(b.when(55), owe, "t")
    for p in roles["dormant"]:  # monthly, then nothing for well over a year
        b.rhythm(p, 30, 720, rng.randint(480, 540), turns=("tm", "mtm"))


def _recent(b: Builder, roles: dict[str, list[Person]]) -> None:
    """The last fortnight: owed replies, near misses that are not owed, new relationships."""
    colleague, client = roles["owed"]
    b.thread(b.when(5, 10), colleague, "t")  # owed: direct, five days unanswered
    b.thread(b.when(10, 9), client, "tt", gap=(40, 50))  # owed: two messages from them
    b.thread(b.h.as_of - timedelta(hours=30), roles["colleagues"][2], "t")  # too recent
    cc_only = roles["clients"][2]  # I was only copied: not owed
    b.h.messages.append(Msg(b.when(6, 11), cc_only, [roles["colleagues"][3]], [ME], b.mid()))
    newcomer, met = roles["new"]
    b.thread(b.when(4, 9), newcomer, "tm")  # a first two-way exchange this week
    b.meeting(2, [met], 30, 13)  # a first meeting this week


def _machines_and_crowds(b: Builder, rng: random.Random, roles: dict[str, list[Person]]) -> None:
    """Newsletters, noreply senders, list traffic and big group threads and meetings."""
    news = ("The Weekly Brief", "news@weeklybrief.example")
    for week in range(104):
        b.bulk(b.when(week * 7 + 1, 6), news, {
            "List-Unsubscribe": "<mailto:leave@weeklybrief.example>", "Precedence": "bulk"})
    billing = ("Billing", "no-reply@billing.example")
    tracker = ("Tracker", "notifications@tracker.example")
    for month in range(24):
        b.bulk(b.when(month * 30 + 3, 7), billing, {})
    for day in range(1, 730, 3):
        b.bulk(b.when(day), tracker, {"Auto-Submitted": "auto-generated"})
    posters = [b.person("opensource.example") for _ in range(3)]
    dev_list = ("dev list", "dev@lists.opensource.example")
    for day in range(2, 700, 5):
        b.bulk(b.when(day), rng.choice(posters), {
            "List-Id": "<dev.lists.opensource.example>",
            "List-Unsubscribe": "<mailto:dev-leave@lists.opensource.example>"}, to=[dev_list])
    home = ME[1].rpartition("@")[2]
    staff = [(f"Staff {i}", f"staff{i}@{home}") for i in range(1, 41)]
    ceo = ("Jordan Reyes", f"ceo@{home}")
    for month in range(24):  # the monthly all-hands mail, with a few replies-all
        start = b.when(month * 30 + 15, 9)
        root = b.mid()
        b.h.messages.append(Msg(start, ceo, staff + [ME], [], root))
        for k in range(1, 4):
            b.h.messages.append(Msg(start + timedelta(hours=k), rng.choice(staff),
                                    [ceo, *staff, ME], [], b.mid(), [root]))
    for quarter in range(8):  # the quarterly all-hands meeting
        b.meeting(quarter * 91 + 20, staff + [ceo], 60, 16, organizer=ceo)
