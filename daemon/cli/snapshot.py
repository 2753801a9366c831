"""What ``status``, ``contacts`` and ``snooze`` need from the config, without pydantic when the
file is one this code has validated before.

Validating the config means importing pydantic and building its models: about a quarter of a
second, most of what these commands cost. After a successful validation the few values they
read (the store URL, the account names, the report slot, the delivery method) are kept in
``$XDG_STATE_HOME/keepwarm/config-snapshot.json`` under a key made of the file's bytes, its
path, the environment that resolves it (``XDG_STATE_HOME``, ``HOME``) and the version of the
code that validated it. A later run whose key matches reads the values from there; any
difference (an edited file, another path, an updated Keepwarm) validates the file again, so a
mistake in it is still reported with file, line and key. Only SQLite stores are kept: a
PostgreSQL URL may hold a password, and those commands need the full store there anyway.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import daemon
from daemon.paths import state_home, write_atomic
from daemon.store.light import sqlite_file

if TYPE_CHECKING:
    from daemon.config import Config

FILE = "config-snapshot.json"
_CODE = Path(daemon.__file__).parent
# The code that decides what a config file means: a change to it is a new key.
_SCHEMA = (_CODE / "config" / "__init__.py", _CODE / "config" / "team.py",
           _CODE / "config" / "resolve.py", _CODE / "clock.py", _CODE / "paths.py",
           _CODE.parent / "connectors" / "settings.py")


@dataclass(frozen=True, slots=True)
class Report:
    timezone: str
    weekday: str
    time: str


@dataclass(frozen=True, slots=True)
class Delivery:
    method: str


@dataclass(frozen=True, slots=True)
class Settings:
    """The values of a validated config that the quick commands read: one member's, with a
    team file's members in ``members`` (each with its own, as ``Config.team`` has them)."""

    store_url: str
    accounts: tuple[str, ...]  # names, in file order
    report: Report
    delivery: Delivery
    member: str = "me"
    members: tuple[Settings, ...] = ()

    @classmethod
    def of(cls, config: Config) -> Settings:
        r = config.report
        return cls(config.store_url, tuple(a.name for a in config.accounts),
                   Report(r.timezone, r.weekday, r.time), Delivery(config.delivery.method),
                   config.member, tuple(cls.of(m) for m in config.members))

    @classmethod
    def from_dict(cls, v: dict[str, Any]) -> Settings:
        return cls(v["store_url"], tuple(v["accounts"]), Report(**v["report"]),
                   Delivery(**v["delivery"]), v["member"],
                   tuple(cls.from_dict(m) for m in v["members"]))

    def team(self) -> tuple[Settings, ...]:
        """One per member, as :meth:`daemon.config.Config.team`."""
        return self.members or (self,)


def key(path: Path, text: str) -> str:
    """What the meaning of ``text`` read from ``path`` depends on, hashed."""
    h = hashlib.sha256(text.encode("utf-8"))
    for part in (str(path.resolve()), os.environ.get("XDG_STATE_HOME", ""),
                 os.environ.get("HOME", ""), daemon.__version__):
        h.update(b"\0" + part.encode("utf-8", "surrogateescape"))
    for source in _SCHEMA:
        st = source.stat()
        h.update(f"\0{source}:{st.st_mtime_ns}:{st.st_size}".encode())
    return h.hexdigest()


def read(path: Path) -> Settings | None:
    """The kept values for the file at ``path`` as it is now; None when there are none."""
    try:
        text = path.read_text(encoding="utf-8")
        kept = json.loads((state_home() / FILE).read_text(encoding="utf-8"))
        if kept.get("key") != key(path, text):
            return None
        return Settings.from_dict(kept["values"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def take(config: Config, path: Path, text: str) -> Settings:
    """Keep the values of ``config``, validated from ``text`` (the file at ``path``); a state
    folder that cannot be written only means the next run validates again."""
    settings = Settings.of(config)
    if sqlite_file(settings.store_url) is not None:
        try:
            data = {"key": key(path, text), "values": asdict(settings)}
            write_atomic(state_home() / FILE, json.dumps(data))
        except OSError:
            pass
    return settings
