"""Where ``keepwarm report`` spends its CPU on a big store, phase by phase (issue 13).

    python bench/report_phases.py CONFIG [--as-of 2025-06-02] [--runs 3]

CONFIG is a config file naming the store (``bench/report_big.py`` writes ``sqlite.toml`` and
``postgresql.toml`` in its work folder). Each run is a fresh process; the figures are the
median process CPU seconds (user + system) of each phase, in the order the report runs them:
imports, hidden (ignores, snoozes, lists and robots), frame (the touchpoint columns), scoring,
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

PHASES = ("imports", "hidden", "frame", "scoring", "owed replies", "new relationships", "rest")

_CHILD = r"""
import json, sys, time
marks = [("start", time.process_time())]
def mark(name):
    marks.append((name, time.process_time()))
from datetime import timedelta
from daemon.cli.report import parse_as_of, rendered
from pathlib import Path
from daemon.config import load as load_config
from daemon.clock import zone
from daemon.model.hidden import Hidden
from daemon.model.load import load
from daemon.model.rank import score_frame
from daemon.store import Store
from daemon.summary import gather, sections
mark("imports")
config = load_config(Path(sys.argv[1]))
store = Store(config.store_url, member=config.member)
as_of = parse_as_of(sys.argv[2], config.report.timezone)
hidden = Hidden.at(store, config, as_of)
mark("hidden")
frame = load(store, config.people)
mark("frame")
scored = score_frame(frame, as_of, hidden=hidden, cap=config.report.group_size,
                     tz=zone(config.report.timezone))
mark("scoring")
rep = config.report
with store.session() as s:
    sections.owed_replies(s, as_of, min_days=rep.owed_reply_days, max_group=rep.group_size,
                          hidden=hidden, member=store.member_id)
    mark("owed replies")
    sections.new_relationships(s, as_of, max_group=rep.group_size, hidden=hidden,
                               member=store.member_id)
    mark("new relationships")
# the rest (health, links, rendering): the whole summary again with the model's answer
# given, less this run's hidden, owed replies and new relationships
t0 = time.process_time()
summary = gather.build_summary(store, config, as_of, scored)
rendered(summary, "text")
again = dict((n, b - a) for (_, a), (n, b) in zip(marks, marks[1:]))
again = sum(again[k] for k in ("hidden", "owed replies", "new relationships"))
marks.append(("rest", marks[-1][1] + max(time.process_time() - t0 - again, 0.0)))
print(json.dumps([[n, b - a] for (_, a), (n, b) in zip(marks, marks[1:])]))
"""


def run_once(config: Path, as_of: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(config), as_of], check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("config", type=Path)
    p.add_argument("--as-of", default="2025-06-02")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    start = time.perf_counter()
    runs = [run_once(args.config, args.as_of) for _ in range(args.runs)]
    print(f"{args.config.name}: median process CPU seconds of {args.runs} runs"
          f" ({time.perf_counter() - start:.1f} s wall in all)")
    total = 0.0
    for phase in PHASES:
        med = statistics.median(r[phase] for r in runs)
        total += med
        print(f"  {phase:<18} {med:6.3f}")
    print(f"  {'sum':<18} {total:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
