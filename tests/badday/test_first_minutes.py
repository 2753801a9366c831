"""Bad days in the first five minutes: a starter config that still holds the template's
placeholders, and the interactive ``keepwarm init`` on a real terminal."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import stat
import subprocess
import sys
from pathlib import Path

from tests.badday.conftest import ROOT, BadDay


def test_doctor_after_a_non_interactive_init_names_the_placeholder(bad_day: BadDay) -> None:
    bad_day.config.unlink(missing_ok=True)
    assert bad_day.run("init", "--yes").code == 0
    out = bad_day.run("doctor")
    assert out.code == 1, out.stdout
    assert "Traceback" not in out.stdout + out.stderr
    fixes = [line for line in out.stdout.splitlines() if line.startswith("FIX")]
    assert any("'me@example.com' is a placeholder" in line for line in fixes), out.stdout
    assert any("accounts[0].path" in line and "Maildir" in line for line in fixes), out.stdout


def test_config_check_after_a_non_interactive_init_says_what_to_edit(bad_day: BadDay) -> None:
    assert bad_day.run("init", "--yes").code == 0
    out = bad_day.fails("config", "check", code=2, hint="fix the path", says="accounts[0].path")
    assert "'me@example.com' is a placeholder" in out.stdout
    assert "'me.personal@gmail.com' is a placeholder" in out.stdout


class Terminal:
    """The real CLI on a pseudo-terminal: wait for a prompt, type an answer, like a person."""

    def __init__(self, bad_day: BadDay, *args: str) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daemon.cli", "--config", str(bad_day.config), *args],
            stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env={**bad_day.env, "TERM": "dumb"})
        os.close(slave)
        self.seen, self.pos = "", 0

    def expect(self, text: str, timeout: float = 30) -> None:
        """Read until ``text`` shows after what was matched before (select waits, no sleep)."""
        while text not in self.seen[self.pos:]:
            ready, _, _ = select.select([self.master], [], [], timeout)
            assert ready, f"no {text!r} within {timeout}s; the screen ends: {self.seen[-600:]}"
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: the program ended and closed the terminal
                chunk = b""
            assert chunk, f"ended before {text!r}: {self.seen[-600:]}"
            self.seen += chunk.decode("utf-8", errors="replace")
        self.pos = self.seen.index(text, self.pos) + len(text)

    def answer(self, prompt: str, text: str) -> None:
        self.expect(prompt)
        os.write(self.master, text.encode() + b"\n")

    def finish(self, timeout: float = 30) -> int:
        """The exit code, once the program has ended (the rest of its output is kept)."""
        with contextlib.suppress(AssertionError):
            self.expect("\0never\0", timeout)
        os.close(self.master)
        return self.proc.wait(timeout)


def _sources(home: Path) -> None:
    for part in ("cur", "new", "tmp"):
        (home / "Maildir" / part).mkdir(parents=True)
    takeout = home / "Downloads" / "takeout-1" / "Takeout" / "Mail"
    takeout.mkdir(parents=True)
    (takeout / "All mail Including Spam and Trash.mbox").write_text("")
    (home / "Calendars").mkdir()
    (home / "Calendars" / "work.ics").write_text("")


def test_interactive_init_on_a_terminal_writes_a_config_that_passes_check(
        bad_day: BadDay) -> None:
    _sources(bad_day.home)
    term = Terminal(bad_day, "init")
    term.answer("Your own email addresses", "me@example.com")
    term.answer("a placeholder, not a mailbox", "ada@lovelace.org, ada@work.org")
    term.expect("Found on this machine:")
    term.expect("1. maildir ~/Maildir")
    term.expect("3. ics     ~/Calendars/work.ics")
    term.answer("Sync which?", "1 2")
    term.answer("Add a Google or Microsoft account?", "google")
    term.answer("Account name [google]:", "work")
    term.answer("OAuth client file", "")
    term.answer("Add a Google or Microsoft account?", "")
    assert term.finish() == 0, term.seen
    assert f"Wrote {bad_day.config}. Next: keepwarm config check, then keepwarm auth work, " \
           "then keepwarm sync" in term.seen.replace("\r\n", " ").replace("  ", " ")
    assert stat.S_IMODE(bad_day.config.stat().st_mode) == 0o600
    check = bad_day.run("config", "check")
    assert check.code == 0 and "warning" not in check.stdout, check
    text = bad_day.config.read_text()
    assert 'addresses = ["ada@lovelace.org", "ada@work.org"]' in text
    assert 'path = "~/Maildir"' in text and "work.ics" not in text.split("[ignore]")[0]
    assert "# Gmail and Google Calendar; sign in once with: keepwarm auth work" in text
    doctor = bad_day.run("doctor")
    assert "placeholder" not in doctor.stdout and "does not exist" not in doctor.stdout


def test_ctrl_d_during_init_writes_nothing(bad_day: BadDay) -> None:
    term = Terminal(bad_day, "init")
    term.expect("Your own email addresses")
    os.write(term.master, b"\x04")
    assert term.finish() == 2
    assert "keepwarm: error: init stopped before the last answer; nothing written" in term.seen
    assert "Traceback" not in term.seen
    assert not bad_day.config.exists()
