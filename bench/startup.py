"""CLI start-up: whole ``keepwarm`` processes against the issue's targets, beside a yardstick.

    python bench/startup.py [--runs N]

Times ``keepwarm --version``, ``--help``, ``report --help`` and, on a small store made in a
temporary folder (3 accounts' worth of mbox mail synced once, one snooze), ``status``,
``contacts`` and ``snooze`` (the list). Every round runs each command once and, in the same
round, the yardsticks ``python -c pass`` (an interpreter that imports nothing) and
``python -c "import sqlalchemy"`` (and ``import sqlalchemy.orm``, the floor of any command that
reads the store); the table shows medians over the rounds, wall clock and the process's CPU time
(user + system, less sensitive to a busy machine). Targets (issue 13), on the wall-clock median:
help and version under 0.15 s, the store commands under 0.4 s.

The store commands take the quick path a user's second run takes: the store is current SQLite,
so they read it with stdlib ``sqlite3`` (``daemon.store.light``), and the warm-up round leaves
the config's snapshot (``daemon.cli.snapshot``), so neither SQLAlchemy nor pydantic is loaded.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAST, STORE = 0.15, 0.4


def keepwarm() -> list[str]:
    """The console script beside this interpreter (what a user runs), else ``-m daemon.cli``."""
    script = Path(sys.executable).with_name("keepwarm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "daemon.cli"]


def write_mbox(path: Path, n: int, account: int) -> None:
    with path.open("w") as fh:
        for i in range(n):
            fh.write(f"From x@y Mon Jan  1 00:00:00 2024\nFrom: P{i % 50} <p{i % 50}@c{account}"
                     f".example>\nTo: me@example.com\nDate: Mon, 06 Jan 2025 10:{i % 60:02d}:00"
                     f" +0000\nMessage-ID: <{account}-{i}@example>\n\nbody\n\n")


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9, help="rounds (default 9)")
    args = ap.parse_args()
    kw = keepwarm()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        accounts = ""
        for i in range(3):
            write_mbox(tmp / f"a{i}.mbox", 200, i)
            accounts += f'[[accounts]]\nname = "a{i}"\nkind = "mbox"\npath = "{tmp}/a{i}.mbox"\n'
        cfg = tmp / "config.toml"
        cfg.write_text(f'[me]\naddresses = ["me@example.com"]\n[store]\nurl = "sqlite:///'
                       f'{tmp}/kw.sqlite"\n' + accounts)
        env = {**os.environ, "XDG_STATE_HOME": str(tmp / "state"),
               "XDG_CONFIG_HOME": str(tmp / "config"), "KEEPWARM_CONFIG": str(cfg)}
        subprocess.run([*kw, "sync"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*kw, "snooze", "p1@c0.example", "4w"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        cases: list[tuple[str, list[str], float | None]] = [
            ("python -c pass", [sys.executable, "-c", "pass"], None),
            ("python -c 'import sqlalchemy'", [sys.executable, "-c", "import sqlalchemy"], None),
            ("python -c 'import sqlalchemy.orm'", [sys.executable, "-c", "import sqlalchemy.orm"],
             None),
            ("keepwarm --version", [*kw, "--version"], FAST),
            ("keepwarm --help", [*kw, "--help"], FAST),
            ("keepwarm report --help", [*kw, "report", "--help"], FAST),
            ("keepwarm status", [*kw, "status"], STORE),
            ("keepwarm contacts", [*kw, "contacts"], STORE),
            ("keepwarm snooze", [*kw, "snooze"], STORE),
        ]
        for _, argv, _ in cases:  # warm the page cache and the bytecode once
            timed(argv, env)
        times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        cpus: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        for _ in range(args.runs):
            for name, argv, _ in cases:
                wall, cpu = timed(argv, env)
                times[name].append(wall)
                cpus[name].append(cpu)
    floor = statistics.median(times[cases[0][0]])
    print(f"{args.runs} rounds, medians of whole processes ({' '.join(kw)}); "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"| {'command':<34} | {'wall':>7} | {'CPU':>7} | {'x pass':>6} | {'target':>9} | met |")
    print(f"|{'-' * 36}|{'-' * 9}|{'-' * 9}|{'-' * 8}|{'-' * 11}|-----|")
    failed = goals = 0
    for name, _, target in cases:
        med = statistics.median(times[name])
        met = "-" if target is None else ("yes" if med < target else "NO")
        failed += met == "NO"
        goals += target is not None
        shown = "yardstick" if target is None else f"< {target:.2f} s"
        print(f"| {name:<34} | {med:5.3f} s | {statistics.median(cpus[name]):5.3f} s "
              f"| {med / floor:5.1f}x | {shown:>9} | {met:<3} |")
    print(f"targets met: {goals - failed}/{goals}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
