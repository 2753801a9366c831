"""Commands sent by mail to yourself: the per-installation secret, the tokens, and the tagged
addresses that carry them (``you+kw.snooze.4w.<token>@yourdomain``).

A token is two truncated HMAC-SHA256s under a secret kept in the state folder (mode 0600): a
short reference to the contact (the same for every token of that contact, meaningless without
the secret) and a MAC over (command, contact, ISO week of the summary that offered it). Nobody
who mails the user can forge one; one minted for Nora names Nora and nobody else; and it is
honoured for :data:`VALID_WEEKS` weeks. The sync finds the contact through the reference
(:func:`index`, one HMAC per stored contact, built once for a page of commands), then checks
the MAC for each week: a flood of forged commands costs one index, not a scan each.

Gmail ignores dots in a local part (``daemon.sync.addresses.normalise`` drops them), so the tag
is read without its dots: the commands are a prefix-free set and a token has a fixed length.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from daemon.paths import write_atomic
from daemon.store.sql import DEFAULT_MEMBER
from daemon.sync.addresses import normalise

SECRET_FILE = "actions.key"
PREFIX = "kw"
TAGGED = "+" + PREFIX  # in every tagged address, lower-cased (dots dropped or not): a cheap test
REF_LENGTH = 4  # 20 bits: a handful of stored contacts share one, the MAC tells them apart
MAC_LENGTH = 12  # 60 bits of base32: a forger's guess succeeds once in 10^18
TOKEN_LENGTH = REF_LENGTH + MAC_LENGTH
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


def secret(state_dir: Path, member: str = DEFAULT_MEMBER) -> bytes:
    """``member``'s key: the installation's secret (created on first use, atomically, mode
    0600; never logged), or for a member of a team a key derived from it, so two members'
    tokens for the same person and week differ (each member's ledger is their own, and a
    command one member mails never acts for another). The single user's key is the secret
    itself, as before teams: tokens already mailed stay valid."""
    key = _installation_secret(state_dir)
    if member == DEFAULT_MEMBER:
        return key
    return hmac.new(key, f"member:{member}".encode(), hashlib.sha256).digest()


def _installation_secret(state_dir: Path) -> bytes:
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
    return ref(key, contact) + _b32(key, f"{command}\0{contact}\0{week}")[:MAC_LENGTH]


def ref(key: bytes, contact: str) -> str:
    """The contact's reference: the first characters of every token naming it."""
    return _b32(key, f"contact\0{contact}")[:REF_LENGTH]


def _b32(key: bytes, text: str) -> str:
    mac = hmac.new(key, text.encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode("ascii").lower()


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


def index(key: bytes, contacts: Iterable[str]) -> dict[str, list[str]]:
    """Stored contacts by reference, for :func:`find`."""
    found: dict[str, list[str]] = {}
    for contact in contacts:
        found.setdefault(ref(key, contact), []).append(contact)
    return found


def find(key: bytes, tag: Tag, contacts: Mapping[str, list[str]],
         sent: date) -> tuple[str, int] | None:
    """(contact, age in weeks) whose token ``tag`` carries, for a message sent on ``sent``
    (``contacts``: an :func:`index`); weeks from one ahead (a report zone east of UTC) back to
    :data:`EXPIRED_WEEKS` are tried, newest first. None: no stored contact has that token."""
    people = contacts.get(tag.token[:REF_LENGTH], [])
    for age in range(-1, EXPIRED_WEEKS + 1) if people else ():
        week = week_of(sent - timedelta(weeks=age))
        for contact in people:
            if hmac.compare_digest(token(key, tag.command, contact, week), tag.token):
                return contact, max(age, 0)
    return None
