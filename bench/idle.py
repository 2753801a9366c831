"""Idle footprint of ``keepwarm run`` with 3 accounts: resident memory and CPU between ticks.

Starts the daemon (3 small mbox accounts, no delivery yet) in a temporary home whose store was
created beforehand by ``keepwarm db upgrade`` (as after set-up; ``--fresh`` lets the daemon
create it, which loads Alembic into it), waits until its first syncs are done (STATUS over a
NOTIFY_SOCKET the bench binds), then samples ``/proc/PID`` over an idle window. Then it makes
the weekly summary due (file delivery, this week's slot at 00:00 UTC today) and sends SIGHUP: the
reload catches up on the owed summary (sync all, score, write the .eml); once the file is
there the bench samples again. Aims: RSS under 60 MB between jobs and after the weekly
scoring, CPU effectively zero.

    python bench/idle.py [--window SECONDS] [--messages N] [--fresh]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")
AIM = 60.0


def write_mbox(path: Path, n: int, account: int) -> None:
    with path.open("w") as fh:
        for i in range(n):
            fh.write(f"From x@y Mon Jan  1 00:00:00 2024\nFrom: P <p{i % 200}@c{account}.example>\n"
                     f"To: me@example.com\nDate: Mon, 06 Jan 2025 10:{i % 60:02d}:00 +0000\n"
                     f"Message-ID: <{account}-{i}@example>\n\nbody\n\n")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--window", type=float, default=30.0, help="idle seconds to sample")
    ap.add_argument("--messages", type=int, default=2000, help="messages per account")
    ap.add_argument("--fresh", action="store_true", help="let the daemon create the store")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        accounts = ""
        for i in range(3):
            write_mbox(tmp / f"a{i}.mbox", args.messages, i)
            accounts += f'[[accounts]]\nname = "a{i}"\nkind = "mbox"\npath = "{tmp}/a{i}.mbox"\n'
        cfg = tmp / "config.toml"
        cfg.write_text('[me]\naddresses = ["me@example.com"]\n[delivery]\nmethod = "none"\n'
                       + accounts)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(tmp / "notify"))
        sock.settimeout(120)
        env = {**os.environ, "XDG_STATE_HOME": str(tmp / "state"),
               "XDG_CONFIG_HOME": str(tmp / "config"), "NOTIFY_SOCKET": str(tmp / "notify")}
        cli = [sys.executable, "-m", "daemon.cli", "--config", str(cfg)]
        if not args.fresh:
            subprocess.run([*cli, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)
        t0 = time.monotonic()
        proc = subprocess.Popen([*cli, "run"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        try:
            synced = 0
            ready = None
            while synced < 3:  # one STATUS per finished sync job
                msg = sock.recv(4096).decode()
                if "READY=1" in msg and ready is None:
                    ready = time.monotonic() - t0
                synced += msg.startswith("STATUS=last sync")
            busy = time.monotonic() - t0
            time.sleep(1.0)  # let the catch-up summary and allocator settle
            cpu0, rss0 = cpu_seconds(proc.pid), rss_mb(proc.pid)
            time.sleep(args.window)
            cpu1, rss1 = cpu_seconds(proc.pid), rss_mb(proc.pid)
            today = datetime.now(UTC).strftime("%a").lower()
            cfg.write_text(cfg.read_text().replace(
                'method = "none"\n', f'method = "file"\nfolder = "{tmp}/out"\n'
                f'[report]\ntimezone = "UTC"\nweekday = "{today}"\ntime = "00:00"\n'))
            t1 = time.monotonic()
            proc.send_signal(signal.SIGHUP)
            while not list((tmp / "out").glob("*.eml")):
                if time.monotonic() - t1 > 120 or proc.poll() is not None:
                    raise SystemExit("no summary was written")
                time.sleep(0.1)
            sent = time.monotonic() - t1
            time.sleep(2.0)  # the job ends after the file is written: let it finish and settle
            cpu2, rss2 = cpu_seconds(proc.pid), rss_mb(proc.pid)
            time.sleep(args.window)
            cpu3, rss3 = cpu_seconds(proc.pid), rss_mb(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=15)
    store = "created by the daemon" if args.fresh else "created by keepwarm db upgrade"
    print(f"accounts: 3 x {args.messages} messages (store {store}); READY after {ready:.2f} s; "
          f"first syncs done after {busy:.2f} s")
    for label, a, b in (("idle RSS between syncs", rss0, rss1),
                        ("idle RSS after the weekly summary", rss2, rss3)):
        print(f"{label}: {a:.1f} MB -> {b:.1f} MB (aim < {AIM:.0f} MB: "
              f"{'met' if max(a, b) < AIM else 'NOT met'})")
    print(f"weekly summary (SIGHUP reload, sync all, score, write .eml) done after {sent:.2f} s")
    for label, a, b in (("idle CPU between syncs", cpu0, cpu1), ("idle CPU after summary", cpu2,
                                                                  cpu3)):
        print(f"{label}: {b - a:.3f} s over {args.window:.0f} s "
              f"({100 * (b - a) / args.window:.3f} %)")
    print(f"exit code after SIGTERM: {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
