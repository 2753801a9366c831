"""End-to-end import speed and memory: `keepwarm sync` on a generated maildir.

    python bench/sync_maildir.py [N ...]        (default: 10000 100000)

For each N it generates a header-only maildir (bench/gen_maildir.py), runs `keepwarm sync` in a
fresh process against a fresh SQLite store, and prints messages/s by wall clock and by the
process's CPU time (one core; the wall figure also carries this machine's disk stalls), and the
process's peak RSS. It then runs `keepwarm sync` again with nothing changed (the re-sync that
names every file as still there) and prints that pass's wall and CPU seconds and peak RSS.
The smallest N is the baseline: memory that does not grow with the archive shows as a flat RSS.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from gen_maildir import generate  # noqa: E402

ROOT = Path(__file__).parent.parent


def run_once(n: int, tmp: Path) -> tuple[float, float, float]:
    """(msg/s wall, msg/s CPU, peak RSS MiB) of a first import of N messages."""
    elapsed, cpu, peak = _sync(n, tmp)
    return n / elapsed, n / cpu, peak


def _sync(n: int, tmp: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one `keepwarm sync` of the N-message maildir."""
    maildir = tmp / f"maildir-{n}"
    if not maildir.exists():
        generate(maildir, n, seed=1)
    cfg = tmp / f"config-{n}.toml"
    cfg.write_text('[me]\naddresses = ["me@example.com"]\n\n[[accounts]]\nname = "bench"\n'
                   f'kind = "maildir"\npath = "{maildir}"\n')
    env = {**os.environ, "XDG_STATE_HOME": str(tmp / f"state-{n}"), "KEEPWARM_CONFIG": str(cfg)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "daemon.cli", "sync"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return elapsed, cpu, after.ru_maxrss / 1024


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        print(f"{'messages':>10} {'msg/s wall':>11} {'msg/s CPU':>10} {'peak RSS MiB':>13}")
        for n in sizes:
            rate, cpu_rate, peak = run_once(n, tmp)
            print(f"{n:>10} {rate:>11.0f} {cpu_rate:>10.0f} {peak:>13.1f}")
            wall, cpu, peak = _sync(n, tmp)
            print(f"{'  re-sync':>10} {wall:>10.2f}s {cpu:>9.2f}s {peak:>13.1f}  (nothing changed)")
        print("(peak RSS is the largest child so far; a flat column means memory does not "
              "grow with the archive)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
