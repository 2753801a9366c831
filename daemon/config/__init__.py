"""Load and validate the TOML config file into frozen pydantic models.

Every problem becomes one line ``file:line: dotted.key: message`` inside one ``ConfigError``.
A file with ``[[members]]`` is a team: :meth:`Config.team` gives one plain config per member
(:mod:`daemon.config.team`); any other file is a team of one, member ``me``.
"""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from connectors.settings import AccountSettings
from daemon.clock import DURATION as DURATION  # durations live in clock (no pydantic there)
from daemon.clock import HH_MM, zone
from daemon.clock import INTERVAL as INTERVAL
from daemon.clock import UNITS as UNITS
from daemon.clock import parse_duration as parse_duration
from daemon.config.lines import key_lines
from daemon.config.problems import problem
from daemon.config.resolve import PATH_KEYS as PATH_KEYS
from daemon.config.resolve import resolve_paths
from daemon.config.team import OrganisationSettings, Origins, load_team, stray_keys
from daemon.errors import ConfigError, UsageError
from daemon.paths import state_home

# The store's daemon.store.sql.DEFAULT_MEMBER (config sits below the store, so it cannot import
# it: tests/test_layout.py); tests/daemon/test_config_team.py pins the two equal.
DEFAULT_MEMBER = "me"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSettings(_Section):
    url: str | None = None  # None: SQLite under the state folder
    retention: Annotated[str, Field(pattern=DURATION)] | None = None


class MeSettings(_Section):
    addresses: tuple[str, ...] = ()


class IgnoreSettings(_Section):
    addresses: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()  # addresses (or patterns) never treated as a list or a robot

    @field_validator("patterns", "keep")
    @classmethod
    def _globs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:  # fnmatch takes an unclosed "[" literally: it would match nothing
            if _unclosed_class(pattern):
                raise ValueError(f"{pattern!r}: '[' has no closing ']' (for a literal bracket "
                                 "write [[])")
        return value


def _unclosed_class(pattern: str) -> bool:
    """Whether a ``[`` of glob ``pattern`` opens a class that never closes (read as
    ``fnmatch.translate`` reads it: ``[!`` negates, a ``]`` right after the opening is a
    member)."""
    i, n = 0, len(pattern)
    while i < n:
        i += 1
        if pattern[i - 1] != "[":
            continue
        j = i + (i < n and pattern[i] == "!")
        j += j < n and pattern[j] == "]"
        j = pattern.find("]", j)
        if j < 0:
            return True
        i = j + 1
    return False


class Person(_Section):
    name: str = ""
    addresses: Annotated[tuple[str, ...], Field(min_length=2)]


class ReportSettings(_Section):
    top: Annotated[int, Field(ge=1, le=100)] = 10
    dormant: Annotated[int, Field(ge=0, le=50)] = 5
    owed_reply_days: Annotated[int, Field(ge=1, le=60)] = 3
    owed_limit: Annotated[int, Field(ge=1, le=100)] = 5
    group_size: Annotated[int, Field(ge=2)] = 10
    timezone: str = "UTC"
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    time: Annotated[str, Field(pattern=HH_MM)] = "08:00"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)  # ValueError naming the zone
        return value


class DeliverySettings(_Section):
    method: Literal["none", "smtp", "file", "gmail", "graph"] = "none"
    to: str | None = None
    sender: str | None = None
    folder: Path | None = None
    host: str | None = None
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    security: Literal["starttls", "tls", "none"] = "starttls"
    user: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    password_keyring: bool = False
    account: str | None = None
    ca_file: Path | None = None  # a private CA for the SMTP server's certificate

    @model_validator(mode="after")
    def _complete(self) -> DeliverySettings:
        needs = {"smtp": ("to", "host"), "file": ()}.get(self.method, ())
        missing = [key for key in needs if not getattr(self, key)]
        if missing:
            raise ValueError(f"method {self.method!r} needs {' and '.join(missing)}")
        return self

    @property
    def smtp_port(self) -> int:
        """``port``, else the usual one for ``security``: 465 for implicit TLS, 587 otherwise."""
        return self.port or (465 if self.security == "tls" else 587)


class DaemonSettings(_Section):
    sync_interval: str = "15min"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # jobs one replica runs at once; None: 1 on SQLite (one writer), 4 on PostgreSQL
    workers: int | None = Field(default=None, ge=1, le=64)
    # a replica's leases lapse this long after their last renewal (renewed every third)
    lease_ttl: str = "3min"

    @field_validator("lease_ttl")
    @classmethod
    def _ttl(cls, value: str) -> str:
        span = (parse_duration(value, INTERVAL) if re.fullmatch(INTERVAL, value.strip())
                else None)
        if span is None or span.total_seconds() < 15:
            raise ValueError(f"{value!r} is not an interval of at least 15s (e.g. '3min')")
        return value

    @field_validator("sync_interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        if _under_a_minute(value):  # checked first: "0m" must not be told to write "0min"
            raise ValueError(f"{value!r} is under one minute; the interval must be at least "
                             "1min (e.g. '15min')")
        if re.fullmatch(r"\s*\d+\s*m\s*", value):  # minutes were once written "m"
            raise ValueError(f"{value!r} would be months; write minutes as min "
                             f"(e.g. {value.strip()[:-1].strip() + 'min'!r})")
        if not re.fullmatch(INTERVAL, value.strip()) or not parse_duration(value, INTERVAL):
            raise ValueError(f"{value!r} is not an interval such as 15min, 2h, 90s or 1d")
        return value


def _under_a_minute(value: str) -> bool:
    """Whether ``value`` reads as a span (in any unit, ``m`` too) that is negative or shorter
    than a minute: a sync that often would only hammer the providers."""
    m = re.fullmatch(r"\s*(-?)\s*(\d+)\s*(s|min|h|d|m)\s*", value)
    if m is None:
        return False
    sign, count, unit = m.groups()
    return sign == "-" or int(count) * UNITS[unit] < timedelta(minutes=1)


class Config(_Section):
    """The whole configuration. ``path`` is the file it came from (None: built-in defaults).

    ``member``: whose config this is (``me`` for a single-user file); ``members``: a team
    file's per-member configs (empty on each of those, and on a single-user file).
    """

    store: StoreSettings = StoreSettings()
    me: MeSettings = MeSettings()
    accounts: tuple[AccountSettings, ...] = ()
    ignore: IgnoreSettings = IgnoreSettings()
    people: tuple[Person, ...] = ()
    report: ReportSettings = ReportSettings()
    delivery: DeliverySettings = DeliverySettings()
    daemon: DaemonSettings = DaemonSettings()
    organisation: OrganisationSettings = OrganisationSettings()
    members: tuple[Config, ...] = ()
    member: str = DEFAULT_MEMBER
    path: Path | None = None
    _origins: Origins | None = PrivateAttr(default=None)  # a member's: where its keys were written

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        seen: set[str] = set()
        for acc in self.accounts:
            if acc.name in seen:
                raise ValueError(f"account name {acc.name!r} is used twice")
            seen.add(acc.name)
        return self

    @property
    def store_url(self) -> str:
        return self.store.url or f"sqlite:///{state_home() / 'keepwarm.db'}"

    def account(self, name: str) -> AccountSettings | None:
        return next((a for a in self.accounts if a.name == name), None)

    def source(self, loc: tuple[object, ...]) -> tuple[object, ...]:
        """Where in the file ``loc`` of this config was written (a member's key, or the shared
        one it inherited)."""
        return loc if self._origins is None else self._origins.locate(loc)

    def team(self) -> tuple[Config, ...]:
        """One config per member: a team file's members, else this config alone."""
        return self.members or (self,)

    def for_member(self, name: str) -> Config:
        """Member ``name``'s config; ``UsageError`` naming the members when there is none."""
        found = next((c for c in self.team() if c.member == name), None)
        if found is None:
            names = ", ".join(c.member for c in self.team())
            raise UsageError(f"no member named {name!r} (members: {names})")
        return found


def load(path: Path) -> Config:
    """Read, parse and validate ``path``; raise ``ConfigError`` naming file, line and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: no such config file"], hint="create one with: keepwarm init"
        ) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    return parse(text, path)


def parse(text: str, path: Path) -> Config:
    """Validate TOML ``text`` as if read from ``path``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ConfigError([f"{path}:{line.group(1) if line else 1}: TOML syntax: {exc}"]) from None
    resolve_paths(data, path.parent)
    lines = key_lines(text)
    if stray := stray_keys(data, path, lines):
        raise ConfigError(stray)
    if "members" in data:
        return load_team(data, path, lines, Config)
    try:
        return Config.model_validate({**data, "path": path})
    except ValidationError as exc:
        raise ConfigError([problem(e, path, lines, data) for e in exc.errors()]) from None
