"""Archive import end to end on real mail, side by side with its yardsticks (issue 13).

    python bench/sync_archive.py [--runs 5] [--owners 4] [--baseline REV]

Builds, from the shared Enron mboxes (``../shared/data/enron``, never copied into the
project), a temporary Maildir of the first ``--owners`` owners (alphabetical; 4 gives ~9,400
header-only messages, one maildir folder per mbox file, converted with the stdlib
``mailbox`` module) and a folder of links to the same owners' real mbox files. Then, run by
run, it times whole processes as a user runs them:

- ``keepwarm sync`` of the maildir into a fresh SQLite store;
- ``keepwarm sync`` of the mboxes into a fresh SQLite store;
- ``notmuch new`` of the maildir into a fresh database (notmuch reads no mbox: it is the
  yardstick of both; skipped, saying so, when notmuch is not installed);
- a bare stdlib header parse of the same maildir files, and of the same mbox files
  (``BytesHeaderParser``, compat32, From/To/Cc/Date/Message-ID): the parsing floor.

It prints the median of each, the peak RSS of each process, the ratios and whether the
targets are met: keepwarm at least 2x faster than notmuch, and within 2x of the bare parse.
"""

from __future__ import annotations

import argparse
import mailbox
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENRON = ROOT.parent / "shared" / "data" / "enron"
WANTED = ("From", "To", "Cc", "Date", "Message-ID")


# --- the bare parse: a floor, stdlib only (run in its own process, like the others) -------

def bare_parse(path: Path) -> int:
    """Parse the five headers of every message under ``path`` (maildir files or mboxes);
    returns the number of messages."""
    from email import policy
    from email.parser import BytesHeaderParser

    parser = BytesHeaderParser(policy=policy.compat32)
    count, chars = 0, 0
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            with open(os.path.join(folder, name), "rb") as f:
                data = f.read()
            blocks = ([b for b in data.split(b"\nFrom ") if b] if name.endswith(".mbox")
                      else [data])
            for block in blocks:
                if name.endswith(".mbox"):
                    block = block.split(b"\n", 1)[1] if b"\n" in block else b""
                msg = parser.parsebytes(block)
                chars += sum(len(str(msg[h] or "")) for h in WANTED)
                count += 1
    return count


# --- building the archives ---------------------------------------------------------------

def owners(n: int) -> list[Path]:
    return sorted(p for p in ENRON.iterdir() if p.is_dir())[:n]


def build_maildir(chosen: list[Path], dest: Path) -> int:
    """One Maildir folder per owner's mbox file (``dest/OWNER/FOLDER/cur``); message count."""
    count = 0
    for owner in chosen:
        for mbox_path in sorted(owner.glob("*.mbox")):
            (dest / owner.name).mkdir(parents=True, exist_ok=True)
            box = mailbox.Maildir(dest / owner.name / mbox_path.stem, create=True)
            for msg in mailbox.mbox(str(mbox_path), create=False):
                box.add(mailbox.MaildirMessage(msg))
                count += 1
    return count


def link_mboxes(chosen: list[Path], dest: Path) -> None:
    """``dest/OWNER/FOLDER.mbox`` links to the real files (read in place, never copied)."""
    for owner in chosen:
        (dest / owner.name).mkdir(parents=True)
        for mbox_path in sorted(owner.glob("*.mbox")):
            (dest / owner.name / mbox_path.name).symlink_to(mbox_path)


# --- timing whole processes ------------------------------------------------------------------

Timing = tuple[float, float, float, str]  # wall s, CPU s, peak RSS MiB, stdout


def timed(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> Timing:
    """(wall seconds, CPU seconds, own peak RSS in MiB, stdout) of one process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # its own rusage, not all children's
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{err.read().decode(errors='replace')}")
        cpu = usage.ru_utime + usage.ru_stime
        return elapsed, cpu, usage.ru_maxrss / 1024, out.read().decode(errors="replace")


def keepwarm_cmd() -> list[str]:
    script = Path(sys.executable).with_name("keepwarm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "daemon.cli"]


def keepwarm_sync(kind: str, path: Path, work: Path, tag: str, code: Path | None = None
                  ) -> Timing:
    """``keepwarm sync`` into a fresh store; ``code``: a checkout to run instead (baseline)."""
    state = work / f"state-{tag}"
    shutil.rmtree(state, ignore_errors=True)
    cfg = work / f"config-{kind}.toml"
    cfg.write_text('[me]\naddresses = ["me@example.com"]\n\n[[accounts]]\nname = "bench"\n'
                   f'kind = "{kind}"\npath = "{path}"\n')
    env = {**os.environ, "XDG_STATE_HOME": str(state), "KEEPWARM_CONFIG": str(cfg)}
    env.pop("INVOCATION_ID", None)
    if code is not None:
        return timed([sys.executable, "-m", "daemon.cli", "sync"], env, cwd=code)
    return timed(keepwarm_cmd() + ["sync"], env)


def notmuch_new(maildir: Path, work: Path) -> Timing:
    db = work / "notmuch-db"
    shutil.rmtree(db, ignore_errors=True)
    db.mkdir()
    cfg = work / "notmuch-config"
    cfg.write_text(f"[database]\npath={db}\nmail_root={maildir}\n\n[new]\ntags=unread;inbox;\n"
                   "\n[maildir]\nsynchronize_flags=true\n")
    env = {**os.environ, "NOTMUCH_CONFIG": str(cfg)}
    return timed(["notmuch", "new", "--quiet"], env)


def bare(path: Path) -> Timing:
    return timed([sys.executable, str(Path(__file__).resolve()), "--bare-parse", str(path)])


# --- report --------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--owners", type=int, default=4)
    ap.add_argument("--baseline", metavar="REV", help="also time the code of git revision REV "
                    "(exported to a temporary folder), paired run by run")
    ap.add_argument("--bare-parse", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare_parse is not None:
        print(bare_parse(args.bare_parse))
        return
    if not ENRON.is_dir():
        print(f"SKIPPED: the shared Enron data is missing ({ENRON}); nothing measured")
        return
    has_notmuch = shutil.which("notmuch") is not None
    with tempfile.TemporaryDirectory(prefix="kw-archive-") as d:
        work = Path(d)
        chosen = owners(args.owners)
        maildir, mboxes = work / "maildir", work / "mbox"
        n = build_maildir(chosen, maildir)
        link_mboxes(chosen, mboxes)
        print(f"archive: {n} header-only messages of {len(chosen)} Enron owners "
              f"({', '.join(p.name for p in chosen)}); {args.runs} paired runs, medians")
        if not has_notmuch:
            print("notmuch: NOT INSTALLED, pairing with notmuch skipped "
                  "(apt-get install notmuch)")
        base: Path | None = None
        if args.baseline:
            base = work / "baseline"
            base.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
            print(f"baseline: revision {args.baseline}, run as `python -m daemon.cli sync`")
        names = ([f"{args.baseline} sync maildir", f"{args.baseline} sync mbox"] if base
                 else []) + ["keepwarm sync maildir", "keepwarm sync mbox", "bare parse maildir",
                 "bare parse mbox"] + (["notmuch new maildir"] if has_notmuch else [])
        walls: dict[str, list[float]] = {k: [] for k in names}
        peaks: dict[str, list[float]] = {k: [] for k in names}
        cpus: dict[str, list[float]] = {k: [] for k in names}
        outputs: dict[str, str] = {}
        for i in range(args.runs):
            runs = {
                "keepwarm sync maildir": lambda: keepwarm_sync("maildir", maildir, work, "md"),
                "keepwarm sync mbox": lambda: keepwarm_sync("mbox", mboxes, work, "mb"),
                "bare parse maildir": lambda: bare(maildir),
                "bare parse mbox": lambda: bare(mboxes),
                "notmuch new maildir": lambda: notmuch_new(maildir, work),
                f"{args.baseline} sync maildir":
                    lambda: keepwarm_sync("maildir", maildir, work, "bmd", base),
                f"{args.baseline} sync mbox":
                    lambda: keepwarm_sync("mbox", mboxes, work, "bmb", base),
            }
            order = names[i % len(names):] + names[:i % len(names)]  # rotate: no fixed slot
            for name in order:
                wall, cpu, peak, out = runs[name]()
                walls[name].append(wall)
                cpus[name].append(cpu)
                peaks[name].append(peak)
                outputs[name] = out.strip()
        med = {k: statistics.median(v) for k, v in walls.items()}
        cmed = {k: statistics.median(v) for k, v in cpus.items()}
        print(f"{'process':<26} {'median s':>9} {'min s':>7} {'max s':>7} {'CPU s':>7} "
              f"{'peak RSS MiB':>13}")
        for k in names:
            print(f"{k:<26} {med[k]:>9.2f} {min(walls[k]):>7.2f} {max(walls[k]):>7.2f} "
                  f"{cmed[k]:>7.2f} {max(peaks[k]):>13.1f}")
        print(f"(wall: whole process as a user waits for it; CPU: user+sys of the process, "
              f"less disturbed by a busy machine; load now {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} CPUs)")
        for kind in ("maildir", "mbox"):
            print(f"keepwarm output ({kind}): {outputs[f'keepwarm sync {kind}']}")
        print(f"bare parse counted: maildir {outputs['bare parse maildir']}, "
              f"mbox {outputs['bare parse mbox']}")
        print("targets (median wall ratios; CPU ratios in brackets):")
        for kind in ("maildir", "mbox"):
            kw = med[f"keepwarm sync {kind}"]
            ckw = cmed[f"keepwarm sync {kind}"]
            floor = kw / med[f"bare parse {kind}"]
            cfloor = ckw / cmed[f"bare parse {kind}"]
            if base is not None:
                old = med[f"{args.baseline} sync {kind}"]
                cold = cmed[f"{args.baseline} sync {kind}"]
                print(f"  {kind}: {old / kw:.2f}x faster than {args.baseline} "
                      f"[{cold / ckw:.2f}x]")
            if has_notmuch:
                speed = med["notmuch new maildir"] / kw
                cspeed = cmed["notmuch new maildir"] / ckw
                print(f"  {kind}: {speed:.2f}x faster than notmuch new [{cspeed:.2f}x] "
                      f"(target >= 2x): {verdict(speed >= 2)}")
            else:
                print(f"  {kind}: vs notmuch: skipped (notmuch not installed)")
            print(f"  {kind}: {floor:.2f}x the bare parse [{cfloor:.2f}x] (target <= 2x): "
                  f"{verdict(floor <= 2)}")


if __name__ == "__main__":
    main()
