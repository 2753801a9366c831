"""Backtest every shared mailbox, both corpora, in one run: the Enron owners of
``../shared/data/enron`` and the kernel maintainers of ``../shared/data/lists`` (issue 13).

    python bench/backtest_all.py [--work DIR] [--jobs 2] [--cold]

One pool imports every owner of both corpora (through the real mbox connector and sync engine,
as ``bench/enron_backtest.py`` and ``bench/lists_backtest.py`` do, into the same cached stores),
the largest mailboxes first so that no big one starts last while the other worker idles. Then
the two backtests run side by side, each in its own process (``enron_backtest.py`` and
``lists_backtest.py`` on the stores just made), and their outputs are printed one after the
other, unchanged. ``--cold`` deletes the cached stores first. It prints the import, backtest
and total seconds, whether the stores came from the cache, and met / NOT met against a minute.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import enron_backtest  # noqa: E402
import lists_backtest  # noqa: E402

TARGET = 60.0


def _import(task: tuple[str, str, str, str]) -> tuple[str, str]:
    corpus, owner, data, work = task
    module = enron_backtest if corpus == "enron" else lists_backtest
    folder = str(Path(data) / owner) if corpus == "enron" else data
    return owner, module.import_owner((owner, folder, work))[1]


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*.mbox")) if path.is_dir() else (
        path.stat().st_size if path.exists() else 0)


def tasks(enron: Path, lists: Path, work: Path) -> list[tuple[str, str, str, str]]:
    """Every owner's import, largest mailbox first."""
    out = [(_size(enron / o.name), ("enron", o.name, str(enron), str(work / "enron")))
           for o in sorted(enron.iterdir()) if o.is_dir()]
    out += [(_size(lists / rel), ("lists", o, str(lists), str(work / "lists")))
            for o, (rel, _) in lists_backtest.OWNERS.items()]
    return [t for _, t in sorted(out, key=lambda x: -x[0])]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "keepwarm-all")
    p.add_argument("--enron", type=Path, default=enron_backtest.DEFAULT_DATA)
    p.add_argument("--lists", type=Path, default=lists_backtest.DEFAULT_DATA)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--cold", action="store_true", help="delete the cached stores first")
    args = p.parse_args()
    if args.cold:
        shutil.rmtree(args.work, ignore_errors=True)
    for sub in ("enron", "lists"):
        (args.work / sub).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        statuses = dict(pool.map(_import, tasks(args.enron, args.lists, args.work)))
    imported = time.perf_counter()
    runs = [subprocess.Popen([sys.executable, str(BENCH / script), "--work",
                              str(args.work / sub), "--data", str(data)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for script, sub, data in (("enron_backtest.py", "enron", args.enron),
                                      ("lists_backtest.py", "lists", args.lists))]
    outputs = [r.communicate()[0] for r in runs]
    done = time.perf_counter()
    for out in outputs:
        print(out)
    cached = all(s == "cached" or s.startswith("skipped") for s in statuses.values())
    how = "stores from the cache" if cached else "imported"
    failed = sorted(o for o, s in statuses.items() if s.startswith("failed"))
    total = done - start
    print(f"backtest_all: {len(statuses)} owners ({how}"
          f"{', failed: ' + ', '.join(failed) if failed else ''}): import {imported - start:.1f} s,"
          f" backtests {done - imported:.1f} s, total {total:.1f} s;"
          f" target < {TARGET:g} s: {'met' if total < TARGET else 'NOT met'}")
    return 0 if all(r.returncode == 0 for r in runs) and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
