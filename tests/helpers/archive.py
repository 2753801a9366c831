"""A tiny header-only mbox and a config that imports it: for tests that drive the CLI end to end."""

from __future__ import annotations

from pathlib import Path

ME = "me@example.com"


def write_mbox(path: Path, messages: list[tuple[str, str, str, str]]) -> Path:
    """A header-only mbox of (from, to, date, message-id) messages."""
    parts = [f"From x@x Mon Jan  1 00:00:00 2024\nFrom: {frm}\nTo: {to}\nDate: {date}\n"
             f"Message-ID: <{mid}>\n\nbody\n\n" for frm, to, date, mid in messages]
    path.write_text("".join(parts))
    return path


def mbox_config(tmp_path: Path, mbox: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[me]\naddresses = ["{ME}"]\n\n[[accounts]]\nname = "arch"\nkind = "mbox"\n'
                    f'path = "{mbox}"\n{extra}')
    return path
