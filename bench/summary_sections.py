"""What the weekly summary shows, section by section, on every shared mailbox and on the heavy
synthetic one (issue 17).

    python bench/summary_sections.py [--only enron|lists|big] [--jobs 2] [--work DIR]
                                     [--code DIR]

For each Enron owner of ``../shared/data/enron`` and each kernel maintainer of
``../shared/data/lists`` (``[me]`` from its README), at three dates, it renders the summary and
prints per section the entries shown / in total, how many of the shown entries are list or
automated addresses by this bench's own check (not the product's), and the longest section in
text lines. The check flags an entry when none of its addresses ever sent the owner a message
(``From``/``X-Original-From`` of the owner's mbox files), when its display name or local part
says robot/bot, when its local part is noreply-style, or when it is a list host. Then it
generates the synthetic mailbox (:mod:`big_mailbox`: 700,000 messages, 20,000 correspondents,
3 years) and runs ``keepwarm report`` on it in a fresh process: text lines, seconds, peak MB.
``--code DIR`` runs that report from another checkout (e.g. main, for a before/after).

Stores are cached under ``--work`` (default ``$TMPDIR/keepwarm-sections``) in a folder named by a
hash of the code that writes them (connectors, daemon/sync, daemon/store, the generator), so a
rerun is fast and a change to the sync rebuilds them.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import big_mailbox  # noqa: E402
import enron_backtest as enron  # noqa: E402
import lists_backtest as lists  # noqa: E402

from daemon.store import Store  # noqa: E402
from daemon.summary.content import NEW_LIMIT  # noqa: E402
from daemon.summary.gather import build_summary  # noqa: E402
from daemon.summary.render import render_text  # noqa: E402

DATES = {"enron": ("2000-10-02", "2001-01-08", "2001-04-02"),
         "lists": ("2021-06-07", "2023-06-05", "2025-06-02")}
SECTIONS = ("losing", "dormant", "owed", "new")
SENDER = re.compile(rb"^(?:From|X-Original-From):[ \t]*(.*(?:\r?\n[ \t].*)*)", re.M | re.I)
ADDRESS = re.compile(r"[\w.+'=-]+@[\w.-]+")
ROBOT = re.compile(r"robot|(?<![a-z])(?:ro)?bots?(?![a-z])|syzbot", re.I)
NOREPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster|notifications?|"
                     r"bounces?)(?:[+._-]|$)", re.I)
LIST_HOST = re.compile(r"@(?:vger\.kernel\.org|lists?\.[\w.-]+|googlegroups\.com)$", re.I)


def code_hash() -> str:
    """A short hash of the code that decides what a store holds."""
    h = hashlib.sha256()
    for folder in ("connectors", "daemon/sync", "daemon/store", "bench/big_mailbox.py",
                   "bench/report_big.py"):
        for path in sorted((ROOT / folder).rglob("*.py")) if (ROOT / folder).is_dir() else [
                ROOT / folder]:
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def same(address: str) -> str:
    """The mailbox an address reaches: Gmail ignores dots and googlemail.com is gmail.com (the
    store keys contacts the same way, so ``a.b@gmail.com`` is the contact ``ab@gmail.com``)."""
    local, _, domain = address.lower().rpartition("@")
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def senders(files: list[Path]) -> set[str]:
    """Every address that ever sent a message in ``files`` (the independent 'wrote to you')."""
    out: set[str] = set()
    for path in files:
        for value in SENDER.findall(path.read_bytes()):
            out.update(same(a) for a in ADDRESS.findall(value.decode("utf-8", "replace")))
    return out


def flag(addresses: tuple[str, ...], name: str, wrote: set[str]) -> str | None:
    """Why this bench calls the entry a list or an automated address (None: a person)."""
    locals_ = [a.split("@")[0] for a in addresses]
    if any(LIST_HOST.search(a) for a in addresses):
        return "list host"
    if ROBOT.search(name) or any(ROBOT.search(x) for x in locals_):
        return "robot"
    if any(NOREPLY.match(x) for x in locals_):
        return "noreply"
    if not any(same(a) in wrote for a in addresses):
        return "never wrote"
    return None


def section_lines(text: str) -> dict[str, int]:
    """Text lines per section (title to the next blank line), keyed by the title's first word."""
    out, title = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z]{2,}[A-Z ]", line):
            title = line.split()[0].lower()
            out[title] = 0
        elif not line.strip():
            title = None
        elif title is not None:
            out[title] += 1
    return out


def row(summary, wrote: set[str]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """One owner at one date: per section (shown, total, flagged among shown)."""
    shown = {"losing": [(e.addresses, e.name) for e in summary.losing_touch],
             "dormant": [(e.addresses, e.name) for e in summary.dormant],
             "owed": [((o.address,), o.name) for o in summary.owed_shown],
             "new": [((n.address,), n.name) for n in summary.new_shown]}
    totals = {"losing": summary.totals["losing_touch"], "dormant": summary.totals["dormant"],
              "owed": len(summary.owed_people), "new": len(summary.new)}
    caps = {"losing": summary.settings["top"], "dormant": summary.settings["dormant"],
            "owed": summary.settings["owed_limit"], "new": NEW_LIMIT}
    text = render_text(summary)
    lines = section_lines(text)
    longest = max(lines, key=lambda k: lines[k]) if lines else "-"
    return {"lines": len(text.splitlines()), "longest": f"{longest} {lines.get(longest, 0)}",
            **{s: (len(shown[s]), totals[s], sum(bool(flag(a, n, wrote)) for a, n in shown[s]))
               for s in SECTIONS},
            "why": [why for s in ("losing", "owed") for a, n in shown[s]
                    if (why := flag(a, n, wrote))],
            "over": [s for s in SECTIONS if len(shown[s]) > caps[s]]}


def owners(kind: str, data: Path, work: Path, jobs: int) -> list[tuple[str, object, list[Path]]]:
    """(owner, config, mbox files) for each imported owner of ``kind``."""
    out = []
    if kind == "enron":
        done, _ = enron.import_all(data, work, jobs)
        for o in done:
            cfg = enron.owner_config(o, data / o, work / f"{o}.sqlite")
            out.append((o, cfg, sorted((data / o).glob("*.mbox"))))
        return out
    from concurrent.futures import ProcessPoolExecutor
    work.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(lists.import_owner, [(o, str(data), str(work)) for o in lists.OWNERS]))
    for o, (rel, me) in lists.OWNERS.items():
        if (work / f"{o}.done").exists():
            cfg = lists.Config(store=lists.StoreSettings(url=lists.sqlite_url(
                work / f"{o}.sqlite")), me=lists.MeSettings(addresses=me), accounts=(
                lists.MboxAccount(name=o, kind="mbox", path=data / rel),))
            out.append((o, cfg, [data / rel]))
    return out


def cell(value: tuple[int, int, int]) -> str:
    shown, total, flagged = value
    return f"{shown}/{total}" + (f" !{flagged}" if flagged else "")


def run_owners(kind: str, data: Path, work: Path, jobs: int) -> list[dict[str, object]]:
    if not data.is_dir():
        print(f"{kind}: {data} is missing (needs ../shared/data); skipped")
        return []
    rows = []
    print(f"\n{kind}: shown/total per section, !N = N shown entries are list or automated "
          "by this bench's check")
    print(f"{'owner':<17}{'as of':<11}{'lines':>6}  {'losing':<10}{'dormant':<10}"
          f"{'owed':<10}{'new':<9}longest")
    for owner, cfg, files in owners(kind, data, work, jobs):
        wrote = senders(files)
        store = Store(cfg.store_url)  # type: ignore[attr-defined]
        try:
            for day in DATES[kind]:
                as_of = datetime.fromisoformat(day).replace(tzinfo=UTC)
                r = {"owner": owner, "as_of": day,
                     **row(build_summary(store, cfg, as_of), wrote)}  # type: ignore[arg-type]
                rows.append(r)
                print(f"{owner:<17}{day:<11}{r['lines']:>6}  " + "".join(
                    f"{cell(r[s]):<{9 if s == 'new' else 10}}" for s in SECTIONS)  # type: ignore
                    + f"{r['longest']}")
        finally:
            store.dispose()
    return rows


def totals(label: str, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    flagged = {s: sum(r[s][2] for r in rows) for s in SECTIONS}  # type: ignore[index]
    over = sum(bool(r["over"]) for r in rows)
    print(f"{label}: {len(rows)} summaries; list/automated entries shown: "
          + ", ".join(f"{s} {flagged[s]}" for s in SECTIONS)
          + f"; sections over their cap: {over}; longest summary "
          f"{max(r['lines'] for r in rows)} lines")  # type: ignore[type-var]
    why = Counter(w for r in rows for w in r["why"])  # type: ignore[attr-defined]
    print(f"{label}: why, in losing touch and owed replies: "
          + (", ".join(f"{k} {v}" for k, v in why.most_common()) or "none"))


def run_big(work: Path, code: Path) -> None:
    """Build (once) and report on the synthetic mailbox in a fresh process."""
    db = work / "big.db"
    if not (work / "big.done").exists():
        start = time.perf_counter()
        counts = big_mailbox.build(db)
        (work / "big.done").write_text(str(counts))
        print(f"\nsynthetic: built {counts} in {time.perf_counter() - start:.0f} s")
    cfg = work / "big.toml"
    cfg.write_text(big_mailbox.config_text(db, work))
    cmd = [sys.executable, "-m", "daemon.cli", "--config", str(cfg), "report",
           "--as-of", "2025-06-02"]
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = work / "big.txt"
    start = time.perf_counter()
    with out.open("wb") as sink:  # a file, not a pipe: wait4 must not block on a full pipe
        proc = subprocess.Popen(cmd, cwd=code, env=env, stdout=sink)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not all children's
        proc.returncode = os.waitstatus_to_exitcode(status)
    took = time.perf_counter() - start
    text = out.read_text()
    lines = section_lines(text)
    print(f"\nsynthetic ({(work / 'big.done').read_text()}), keepwarm report from {code}"
          f" (exit {proc.returncode}):")
    print(f"  {len(text.splitlines())} text lines (sections: "
          + ", ".join(f"{k} {v}" for k, v in lines.items())
          + f"), {took:.1f} s, peak {usage.ru_maxrss / 1024:.0f} MB")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["enron", "lists", "big"])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--work", type=Path,
                   default=Path(tempfile.gettempdir()) / "keepwarm-sections")
    p.add_argument("--code", type=Path, default=ROOT)
    args = p.parse_args()
    work = args.work / code_hash()
    print(f"stores cached under {work}")
    for kind, data in (("enron", enron.DEFAULT_DATA), ("lists", lists.DEFAULT_DATA)):
        if args.only in (None, kind):
            totals(kind, run_owners(kind, data, work / kind, args.jobs))
    if args.only in (None, "big"):
        (work / "big").mkdir(parents=True, exist_ok=True)
        run_big(work / "big", args.code.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
