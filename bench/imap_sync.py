"""Headers-only IMAP throughput and memory, against a real Dovecot on loopback.

    python bench/imap_sync.py [N ...]        (default: 100000)

For each N it writes a generated maildir (bench/gen_maildir.py: INBOX, Sent, Archive/2023,
Lists) straight into a throwaway Dovecot's mail folder (the test server of
tests/fakes/dovecot.py), lets Dovecot index it, then times:

- the yardstick: the server's own ``doveadm fetch`` of the same header fields, uid and date
  (no network, no IMAP parsing: what the server alone costs);
- the IMAP connector: a first pass (``ImapSource.pages(None)``, TLS on loopback, 500 UIDs per
  FETCH), messages per second, and how much the process's peak RSS grew during it;
- a second pass with nothing changed (STATUS of every folder only);
- passes after one new message and one flag change in INBOX, from the first pass's cursor, by
  QRESYNC (``UID FETCH ... CHANGEDSINCE ... VANISHED``) and by ``UID SEARCH ALL`` (the
  connector told the server offers neither, from the same cursor without mod-sequences):
  5 paired rounds, alternating which goes first, medians and the median ratio.
"""

from __future__ import annotations

import json
import os
import pwd
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from gen_maildir import generate  # noqa: E402

from connectors.imap import changes  # noqa: E402
from connectors.imap.source import ImapSource  # noqa: E402
from connectors.settings import ImapAccount  # noqa: E402

from fakes import dovecot  # noqa: E402

FIELDS = ("uid date.received hdr.from hdr.to hdr.cc hdr.bcc hdr.date hdr.message-id "
          "hdr.in-reply-to hdr.references hdr.list-id hdr.list-unsubscribe hdr.precedence "
          "hdr.auto-submitted flags")


def seed(server: dovecot.Dovecot, user: str, n: int) -> None:
    """Write ``n`` messages as the user's maildir, owned as Dovecot expects, and index them."""
    home = server.root / "mail" / user
    generate(home, n, seed=1)
    owner = (server.root / "mail").stat()
    for folder, _, files in os.walk(home):
        os.chown(folder, owner.st_uid, owner.st_gid)
        for name in files:
            os.chown(os.path.join(folder, name), owner.st_uid, owner.st_gid)
    doveadm(server, "index", "-u", user, "*")


def doveadm(server: dovecot.Dovecot, *args: str) -> float:
    """Seconds one ``doveadm`` command takes (its output discarded)."""
    binary = shutil.which("doveadm") or "/usr/bin/doveadm"
    began = time.perf_counter()
    subprocess.run([binary, "-c", str(server.root / "dovecot.conf"), *args], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def connector_pass(server: dovecot.Dovecot, user: str, cursor: str | None
                   ) -> tuple[int, float, float, str | None]:
    """(records, seconds, growth of the peak RSS in MiB, last cursor) of one pass."""
    account = ImapAccount(name="bench", kind="imap", host="127.0.0.1", port=server.tls_port,
                          username=user, password_env="UNUSED", ca_file=server.ca_file)
    source = ImapSource("bench/mail", account, lambda: server.password)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    count, last = 0, cursor
    for page in source.pages(cursor):
        count += len(page.records)
        last = page.cursor
    elapsed = time.perf_counter() - began
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return count, elapsed, peak, last


def change_passes(server: dovecot.Dovecot, user: str, cursor: str | None,
                  rounds: int = 5) -> tuple[float, float, float]:
    """Median seconds of a pass by QRESYNC and by UID SEARCH ALL after one change each
    round, and the median of their paired ratios."""
    box, real = dovecot.Mailbox(server, user), changes.mode
    state = json.loads(cursor or "{}")
    for folder in state["f"].values():
        folder["ms"] = None  # what a server without CONDSTORE leaves in the cursor
    plain_cursor = json.dumps(state)
    times: dict[str, list[float]] = {"qresync": [], "search": []}
    for r in range(rounds):
        box.append("INBOX", [f"Message-ID: <bench{r}@x.org>\r\nFrom: a@x.org\r\n\r\n.\r\n"
                             .encode()])
        with box.client() as c:
            c.select_folder("INBOX")
            c.add_flags(c.search("ALL")[r:r + 1], [b"\\Flagged"])
        for how in (("qresync", "search") if r % 2 == 0 else ("search", "qresync")):
            changes.mode = real if how == "qresync" else (lambda _: changes.PLAIN)  # type: ignore[assignment]
            times[how].append(connector_pass(server, user, cursor if how == "qresync"
                                             else plain_cursor)[1])
        changes.mode = real  # type: ignore[assignment]
    ratio = statistics.median(s / q for q, s in zip(times["qresync"], times["search"],
                                                    strict=True))
    return statistics.median(times["qresync"]), statistics.median(times["search"]), ratio


def main(sizes: list[int]) -> None:
    if not dovecot.available():
        sys.exit("dovecot is not installed (apt-get install dovecot-imapd)")
    print(f"{'messages':>9} {'doveadm msg/s':>14} {'imap msg/s':>11} {'RSS +MiB':>9} "
          f"{'no-change pass s':>17} {'QRESYNC pass s':>15} {'SEARCH pass s':>14} "
          f"{'SEARCH/QRESYNC':>15}")
    for n in sizes:
        root = Path(tempfile.mkdtemp(prefix="kw-bench-dovecot-"))
        server = dovecot.start(root)
        try:
            box = server.add_user()
            seed(server, box.user, n)
            yard = doveadm(server, "fetch", "-u", box.user, FIELDS, "mailbox", "*", "all")
            count, elapsed, peak, cursor = connector_pass(server, box.user, None)
            _, again, _, _ = connector_pass(server, box.user, cursor)
            qresync, search, ratio = change_passes(server, box.user, cursor)
            print(f"{count:>9} {n / yard:>14.0f} {count / elapsed:>11.0f} {peak:>9.1f} "
                  f"{again:>17.2f} {qresync:>15.3f} {search:>14.3f} {ratio:>14.2f}x")
        finally:
            server.stop()
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    if os.getuid() == 0:
        pwd.getpwnam("nobody")  # the mail user of a root-run test server
    main([int(a) for a in sys.argv[1:]] or [100_000])
