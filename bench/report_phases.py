"""Where ``keepwarm report`` spends its CPU on a big store, phase by phase (issue 13).

    python bench/report_phases.py CONFIG [--as-of 2025-06-02] [--runs 3]

CONFIG is a config file naming the store (``bench/report_big.py`` writes ``sqlite.toml`` and
``postgresql.toml`` in its work folder). Each run is a fresh process; the figures are the
median process CPU seconds (user + system; a server's work is not in them) and wall seconds
of each phase, in the order the report runs them:
imports, frame (the touchpoint columns), hidden (ignores, snoozes, lists and robots), persons
(the columns made a frame by person), scoring,
owed replies, new relationships, and the rest (health, links, rendering).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PHASES = ("imports", "frame", "hidden", "persons", "scoring", "owed replies",
          "new relationships", "rest")

_CHILD = r"""
import json, sys, time
def now():
    return (time.process_time(), time.perf_counter())
marks = [("start", now())]
def mark(name):
    marks.append((name, now()))
from datetime import timedelta
from daemon.cli.report import parse_as_of, rendered
from pathlib import Path
from daemon.config import load as load_config
from daemon.clock import zone
from daemon.model.hidden import Hidden
from daemon.model.load import load
from daemon.store.columns import touchpoint_columns
from daemon.model.rank import score_frame
from daemon.store import Store
from daemon.summary import gather, sections
mark("imports")
config = load_config(Path(sys.argv[1]))
store = Store(config.store_url, member=config.member)
as_of = parse_as_of(sys.argv[2], config.report.timezone)
columns = touchpoint_columns(store, keys=True)
mark("frame")
hidden = Hidden.at(store, config, as_of, columns)
mark("hidden")
frame = load(store, config.people, columns)
mark("persons")
scored = score_frame(frame, as_of, hidden=hidden, cap=config.report.group_size,
                     tz=zone(config.report.timezone))
mark("scoring")
rep = config.report
sections.owed_replies(columns, as_of, min_days=rep.owed_reply_days, max_group=rep.group_size,
                      hidden=hidden)
mark("owed replies")
sections.new_relationships(columns, as_of, max_group=rep.group_size, hidden=hidden)
mark("new relationships")
del columns
# the rest (health, links, rendering): the whole summary with the model's answer and the
# hidden people given, less a second run of the two sections above
sections.owed_replies = lambda *a, **k: []
sections.new_relationships = lambda *a, **k: []
gather.owed_replies, gather.new_relationships = sections.owed_replies, sections.new_relationships
gather.Hidden.at = classmethod(lambda cls, *a: hidden)
rendered(gather.build_summary(store, config, as_of, scored), "text")
mark("rest")
print(json.dumps([[n, b[0] - a[0], b[1] - a[1]] for (_, a), (n, b) in zip(marks, marks[1:])]))
"""


def run_once(config: Path, as_of: str) -> dict[str, tuple[float, float]]:
    """Each phase's (CPU, wall) seconds in a fresh process."""
    out = subprocess.run([sys.executable, "-c", _CHILD, str(config), as_of], check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    return {name: (cpu, wall) for name, cpu, wall in json.loads(out.strip().splitlines()[-1])}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("config", type=Path)
    p.add_argument("--as-of", default="2025-06-02")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    start = time.perf_counter()
    runs = [run_once(args.config, args.as_of) for _ in range(args.runs)]
    print(f"{args.config.name}: medians of {args.runs} runs, seconds"
          f" ({time.perf_counter() - start:.1f} s wall in all)")
    print(f"  {'phase':<18} {'CPU':>6} {'wall':>6}")
    totals = [0.0, 0.0]
    for phase in PHASES:
        med = [statistics.median(r[phase][i] for r in runs) for i in (0, 1)]
        totals = [a + b for a, b in zip(totals, med, strict=True)]
        print(f"  {phase:<18} {med[0]:6.3f} {med[1]:6.3f}")
    print(f"  {'sum':<18} {totals[0]:6.3f} {totals[1]:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
