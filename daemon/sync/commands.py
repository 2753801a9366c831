"""Commands sent by mail to yourself: the per-installation secret, the tokens, and the tagged
addresses that carry them (``you+kw.snooze.4w.<token>@yourdomain``).

A token is a truncated HMAC-SHA256, under a secret kept in the state folder (mode 0600), over
(command, contact, ISO week of the summary that offered it). Nobody who mails the user can
forge one; one minted for Nora names Nora and nobody else; and it is honoured for
:data:`VALID_WEEKS` weeks. The token cannot be read back: the sync finds the contact by
computing the token of each stored contact (:func:`find`).

Gmail ignores dots in a local part (``daemon.sync.addresses.normalise`` drops them), so the tag
is read without its dots: the commands are a prefix-free set and a token has a fixed length.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from daemon.paths import write_atomic
from daemon.sync.addresses import normalise

SECRET_FILE = "actions.key"
PREFIX = "kw"
TOKEN_LENGTH = 12  # 60 bits of base32: a forger's guess succeeds once in 10^18
VALID_WEEKS = 4  # a token is honoured up to this many ISO weeks after the week it names
EXPIRED_WEEKS = 26  # older ones back to this are counted as expired rather than forged
# command -> (its words in the address, what it does, for the mail's subject)
COMMANDS: dict[str, tuple[str, str]] = {
    "snooze4w": ("snooze.4w", "Snooze {who} for 4 weeks"),
    "snooze3m": ("snooze.3m", "Snooze {who} for 3 months"),
    "ignoreperson": ("ignore.person", "Ignore {who}"),
    "ignoredomain": ("ignore.domain", "Ignore everyone at {domain}"),
}
_ALPHABET = set("abcdefghijklmnopqrstuvwxyz234567")


@dataclass(frozen=True, slots=True)
class Tag:
    """What a tagged address carries: a command and its token (both unverified)."""

    command: str
    token: str


def secret(state_dir: Path) -> bytes:
    """The installation's secret, created on first use (atomically, mode 0600). Never logged."""
    path = state_dir / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    fresh = secrets.token_hex(32)
    tmp = state_dir / f".{SECRET_FILE}.new"
    write_atomic(tmp, fresh + "\n")
    try:  # link, not rename: a second process that raced us keeps the first secret
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def week_of(day: date) -> str:
    """``2026-W48``: the ISO week label, as :func:`daemon.summary.slots.week_label` writes it."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def token(key: bytes, command: str, contact: str, week: str) -> str:
    """The token of ``command`` for ``contact`` (a normalised address) offered in ``week``."""
    mac = hmac.new(key, f"{command}\0{contact}\0{week}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode("ascii").lower()[:TOKEN_LENGTH]


def address(me: str, command: str, tok: str) -> str:
    """The user's own address ``me`` plus-tagged with ``command`` and its token."""
    local, _, domain = me.rpartition("@")
    base = local.partition("+")[0]
    return f"{base}+{PREFIX}.{COMMANDS[command][0]}.{tok}@{domain}"


def parse(address_: str, me: set[str]) -> Tag | None:
    """The tag of ``address_`` when it is one of ``me`` (normalised addresses) plus-tagged
    with a command; None for any other address. Dots in the tag are ignored (see above)."""
    local, at, domain = address_.lower().rpartition("@")
    base, plus, tag = local.partition("+")
    if not (at and plus) or normalise(f"{base}@{domain}") not in me:
        return None
    tag = tag.replace(".", "")
    if not tag.startswith(PREFIX):
        return None
    tag = tag[len(PREFIX):]
    command = next((c for c in COMMANDS if tag.startswith(c)), None)
    if command is None:
        return None
    tok = tag[len(command):]
    if len(tok) != TOKEN_LENGTH or not set(tok) <= _ALPHABET:
        return None
    return Tag(command, tok)


def find(key: bytes, tag: Tag, contacts: Iterable[str], sent: date) -> tuple[str, int] | None:
    """(contact, age in weeks) whose token ``tag`` carries, for a message sent on ``sent``;
    weeks from one ahead (a report zone east of UTC) back to :data:`EXPIRED_WEEKS` are tried,
    newest first. None: no stored contact has that token (forged)."""
    weeks = [(age, week_of(sent - timedelta(weeks=age))) for age in range(-1, EXPIRED_WEEKS + 1)]
    people = list(contacts)
    for age, week in weeks:
        for contact in people:
            if hmac.compare_digest(token(key, tag.command, contact, week), tag.token):
                return contact, max(age, 0)
    return None
