"""CalDAV first-sync throughput and memory, against a real Radicale on loopback.

    python bench/caldav_sync.py [--events 2000] [--calendars 4] [--rounds 5]

Seeds a throwaway Radicale (tests/helpers/radicale.py) with N events over a few calendars,
one in ten a weekly series of 12 (the rest single meetings with one to five attendees), each
calendar uploaded in one whole-collection PUT. Then, alternating in the same run (paired
rounds, medians):

- the yardstick: a bare httpx ``calendar-query`` REPORT per calendar asking for every
  member's calendar-data, each answer's iCalendar parsed by ``icalendar`` and its VEVENTs
  counted: what fetching and parsing alone cost, without discovery, sync tokens, expansion
  of series or records;
- the connector: a first pass of ``CalDavSource.pages(None)`` (discovery, sync-collection,
  calendar-multiget of 100 members a request, expansion into occurrence records).

Prints events/s, wall and CPU seconds for both, their ratio, and the peak of Python
allocations (tracemalloc, one extra round each, not timed).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import icalendar

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from connectors.caldav.dav import DavClient  # noqa: E402
from connectors.caldav.source import CalDavSource  # noqa: E402

from helpers.radicale import NOW, PASSWORD, USER, Radicale, start  # noqa: E402

QUERY = ('<?xml version="1.0" encoding="utf-8"?><c:calendar-query xmlns:d="DAV:" '
         'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/>'
         '</d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"/>'
         '</c:comp-filter></c:filter></c:calendar-query>')


def event(i: int, rng: random.Random) -> str:
    """One VEVENT: a weekly series of 12 one time in ten, else a single meeting."""
    start = NOW + timedelta(days=rng.randint(-300, 50), hours=rng.randint(8, 17))
    people = "".join(f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:p{rng.randint(1, 400)}@x.org\r\n"
                     for _ in range(rng.randint(1, 5)))
    rule = "RRULE:FREQ=WEEKLY;COUNT=12\r\n" if i % 10 == 0 else ""
    return (f"BEGIN:VEVENT\r\nUID:bench-{i}@x.org\r\nDTSTAMP:20240101T000000Z\r\n"
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
            f"DTEND:{start + timedelta(minutes=30):%Y%m%dT%H%M%SZ}\r\n"
            f"SUMMARY:meeting {i}\r\nORGANIZER:mailto:me@y.org\r\n{people}{rule}END:VEVENT\r\n")


def seed(server: Radicale, events: int, calendars: int) -> list[str]:
    """The calendars' names, each PUT whole with its share of the events."""
    rng, names = random.Random(1), [f"bench-{c}" for c in range(calendars)]
    for c, name in enumerate(names):
        body = "".join(event(i, rng) for i in range(c, events, calendars))
        server.put_calendar(name, ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kw bench//EN\r\n"
                                   f"{body}END:VCALENDAR\r\n").encode())
    return names


def yardstick(server: Radicale, names: list[str]) -> int:
    """VEVENTs read by one bare calendar-query per calendar, parsed by icalendar."""
    count = 0
    with httpx.Client(base_url=server.url, auth=(USER, PASSWORD), timeout=300) as client:
        for name in names:
            resp = client.request("REPORT", f"/{USER}/{name}/", content=QUERY,
                                  headers={"Depth": "1", "Content-Type": "application/xml"})
            resp.raise_for_status()
            for data in ET.fromstring(resp.content).iter(
                    "{urn:ietf:params:xml:ns:caldav}calendar-data"):
                cal = icalendar.Calendar.from_ical(data.text or "")
                count += sum(1 for c in cal.walk("VEVENT"))
    return count


def connector(server: Radicale, names: list[str]) -> int:
    """Occurrence records of one first pass over the calendars."""
    src = CalDavSource("bench/calendar",
                       lambda: DavClient(server.url, USER, PASSWORD, ca_file=None, account="b"),
                       tuple(names), 60, lambda: NOW)
    return sum(len(p.records) for p in src.pages(None))


def timed(run: Callable[[], int]) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    count = run()
    return count, time.perf_counter() - wall, time.process_time() - cpu


def peak_mib(run: Callable[[], int]) -> float:
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--calendars", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kw-bench-radicale-") as root:
        server = start(Path(root))
        if server is None:
            sys.exit("Radicale is not installed (pip install -e '.[dev]')")
        try:
            names = seed(server, args.events, args.calendars)
            runs: dict[str, list[tuple[int, float, float]]] = {"yardstick": [], "connector": []}
            for _ in range(args.rounds):  # paired: one of each per round
                runs["yardstick"].append(timed(lambda: yardstick(server, names)))
                runs["connector"].append(timed(lambda: connector(server, names)))
            peaks = {"yardstick": peak_mib(lambda: yardstick(server, names)),
                     "connector": peak_mib(lambda: connector(server, names))}
        finally:
            server.stop()
    report(args.events, runs, peaks)


def report(events: int, runs: dict[str, list[tuple[int, float, float]]],
           peaks: dict[str, float]) -> None:
    print(f"{events} events, median of {len(runs['connector'])} paired rounds")
    print(f"{'':>10} {'read':>7} {'events/s':>9} {'wall s':>7} {'CPU s':>6} {'peak MiB':>9}")
    medians = {}
    for name, got in runs.items():
        wall = statistics.median(r[1] for r in got)
        cpu = statistics.median(r[2] for r in got)
        medians[name] = wall
        print(f"{name:>10} {got[0][0]:>7} {events / wall:>9.0f} {wall:>7.2f} {cpu:>6.2f} "
              f"{peaks[name]:>9.1f}")
    ratios = [c[1] / y[1] for y, c in zip(runs["yardstick"], runs["connector"], strict=True)]
    print(f"connector / yardstick wall time: {statistics.median(ratios):.2f}x (median of paired "
          "ratios); 'read' is VEVENTs for the yardstick, occurrence records for the connector")


if __name__ == "__main__":
    main()
