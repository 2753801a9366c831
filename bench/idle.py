"""Idle footprint of ``keepwarm run`` with 3 accounts: resident memory and CPU between ticks.

Starts the daemon (3 small mbox accounts, file delivery) in a temporary home, waits until its
first syncs are done (STATUS over a NOTIFY_SOCKET the bench binds), then samples
``/proc/PID`` over an idle window. Aims: RSS under 80 MB, CPU effectively zero.

    python bench/idle.py [--window SECONDS] [--messages N]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


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
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        accounts = ""
        for i in range(3):
            write_mbox(tmp / f"a{i}.mbox", args.messages, i)
            accounts += f'[[accounts]]\nname = "a{i}"\nkind = "mbox"\npath = "{tmp}/a{i}.mbox"\n'
        cfg = tmp / "config.toml"
        cfg.write_text('[me]\naddresses = ["me@example.com"]\n'
                       f'[delivery]\nmethod = "file"\nfolder = "{tmp}/out"\n' + accounts)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(tmp / "notify"))
        sock.settimeout(120)
        env = {**os.environ, "XDG_STATE_HOME": str(tmp / "state"),
               "XDG_CONFIG_HOME": str(tmp / "config"), "NOTIFY_SOCKET": str(tmp / "notify")}
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "daemon.cli", "--config", str(cfg), "run"],
                                cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
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
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=15)
    print(f"accounts: 3 x {args.messages} messages; READY after {ready:.2f} s; "
          f"first syncs done after {busy:.2f} s")
    print(f"idle RSS: {rss0:.1f} MB -> {rss1:.1f} MB (aim < 80 MB)")
    print(f"idle CPU: {cpu1 - cpu0:.3f} s over {args.window:.0f} s "
          f"({100 * (cpu1 - cpu0) / args.window:.3f} %)")
    print(f"exit code after SIGTERM: {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
