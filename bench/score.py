"""How fast the model scores: 1,000,000 touchpoints and 20,000 persons on one core.

    python bench/score.py [--touchpoints 1000000] [--persons 20000]

Prints, for the same synthetic arrays: the model's arrays alone (``daemon.model.assess.evaluate``),
the full ``score_frame`` (every Entry with its sentence and 12-month strip) with the shipped
coefficients and adapted to the user's own past (what the weekly summary runs), the adaptation
alone (``daemon.model.adapt``), and a naive
pure-Python recency ranker as the baseline. Synthetic data: seeded, 3 years of history,
persons with rhythms from daily to quarterly, 10% automated, mixed directions and group sizes.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemon.model.adapt import adapt  # noqa: E402
from daemon.model.assess import evaluate  # noqa: E402
from daemon.model.frame import Frame, Person, build, seconds  # noqa: E402
from daemon.model.rank import score_frame  # noqa: E402

AS_OF = datetime(2025, 6, 2, tzinfo=UTC)


def synthetic(n: int, persons: int, seed: int = 7) -> Frame:
    rng = np.random.default_rng(seed)
    rate = rng.pareto(1.2, persons) + 0.05  # heavy-tailed activity per person
    person = rng.choice(persons, n, p=rate / rate.sum())
    t = seconds(AS_OF) - (rng.random(n) * 3 * 365 * 86400).astype(np.int64)
    people = [Person(f"p{i}@example.com", f"Person {i}", (f"p{i}@example.com",))
              for i in range(persons)]
    return build(people, person, t, rng.choice(3, n, p=[0.45, 0.45, 0.1]),
                 rng.random(n) < 0.1, rng.choice([1, 1, 1, 2, 3, 5, 12, 40], n),
                 rng.random(n) < 0.1, rng.random(n) < 0.8, rng.integers(-1, n // 3, n))


def naive_recency(frame: Frame, as_of: int) -> list[int]:
    """The baseline: a plain Python loop, last touch per person, most silent first."""
    last: dict[int, int] = {}
    for p, t in zip(frame.person.tolist(), frame.t.tolist(), strict=True):
        if t < as_of and t > last.get(p, -1):
            last[p] = t
    return sorted(last, key=lambda p: last[p])


def timed(label: str, fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    """Best of ``repeat`` wall and CPU (this process) times; returns the CPU time, the figure
    a busy shared machine does not inflate."""
    runs = [_once(fn) for _ in range(repeat)]
    wall, cpu = min(w for w, _ in runs), min(c for _, c in runs)
    print(f"  {label:<46} {wall:7.3f} s wall {cpu:7.3f} s CPU")
    return cpu


def _once(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--touchpoints", type=int, default=1_000_000)
    p.add_argument("--persons", type=int, default=20_000)
    p.add_argument("--store", action="store_true", help="also time loading from a SQLite store")
    args = p.parse_args()
    frame = synthetic(args.touchpoints, args.persons)
    at = seconds(AS_OF)
    print(f"{len(frame):,} touchpoints, {len(frame.persons):,} persons (best of 3, one core)")
    timed("model arrays (evaluate)", lambda: evaluate(frame, at))
    shipped = timed("score_frame, shipped coefficients (as before)",
          lambda: score_frame(frame, AS_OF, adapted=False))
    timed("adaptation alone (daemon.model.adapt)", lambda: adapt(frame, at))
    full = timed("score_frame adapted to own past (what runs)",
                 lambda: score_frame(frame, AS_OF))
    naive = timed("baseline: naive pure-Python recency ranker", lambda: naive_recency(frame, at))
    print(f"target < 2 s CPU on one core with adaptation: {'met' if full < 2 else 'NOT met'} "
          f"({full:.3f} s; adaptation adds {full - shipped:+.3f} s, "
          f"{full / max(naive, 1e-9):.1f}x the naive ranker)")
    if args.store:
        store_load(args.touchpoints, args.persons)
    return 0



def store_load(n: int, persons: int) -> None:
    """Time ``daemon.model.load.load`` on a temporary SQLite store holding ``n`` touchpoints
    (rows inserted directly, bypassing the writer, to keep the setup quick)."""
    import sqlite3
    import tempfile

    from daemon.model.load import load
    from daemon.store import Store
    from daemon.store.columns import DIRECTION_NAMES
    from daemon.store.vocab import Channel

    frame = synthetic(n, persons)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        Store(f"sqlite:///{path}").dispose()
        con = sqlite3.connect(path)
        con.execute("INSERT INTO accounts (id, name, kind, status) VALUES (1, 'b', 'mbox', 'ok')")
        con.executemany("INSERT INTO contacts (id, address, display_name) VALUES (?, ?, ?)",
                        [(i + 1, p.key, p.name) for i, p in enumerate(frame.persons)])
        con.executemany("INSERT INTO items (id, identity, channel, at) VALUES (?, ?, ?, ?)",
                        [(i + 1, f"i{i}", Channel.EMAIL, "2025-01-01 00:00:00")
                         for i in range(n)])
        when = frame.t.astype("datetime64[s]").astype(str)
        con.executemany(
            "INSERT INTO touchpoints (item_id, contact_id, account_id, at, channel, direction,"
            " group_size, bulk, listed, direct, thread_key) VALUES (?,?,1,?,?,?,?,?,0,?,?)",
            ((i + 1, int(frame.person[i]) + 1, when[i].replace("T", " "),
              Channel.MEETING if frame.meeting[i] else Channel.EMAIL,
              DIRECTION_NAMES[frame.direction[i]], int(frame.group[i]),
              bool(frame.noise[i]), bool(frame.direct[i]),
              None if frame.thread[i] < 0 else f"t:{frame.thread[i]}") for i in range(n)))
        con.commit()
        con.close()
        store = Store(f"sqlite:///{path}")
        timed(f"load {n:,} touchpoints from SQLite (model.load)", lambda: load(store), repeat=1)
        store.dispose()


if __name__ == "__main__":
    sys.exit(main())
