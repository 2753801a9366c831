"""Load and validate the TOML config file into frozen pydantic models.

Every problem becomes one line ``file:line: dotted.key: message`` inside one ``ConfigError``.
"""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from connectors.settings import ACCOUNT_KINDS, AccountSettings
from daemon.clock import DURATION as DURATION  # durations live in clock (no pydantic there)
from daemon.clock import HH_MM, zone
from daemon.clock import INTERVAL as INTERVAL
from daemon.clock import UNITS as UNITS
from daemon.clock import parse_duration as parse_duration
from daemon.config.lines import key_lines, locate
from daemon.errors import ConfigError
from daemon.paths import state_home

PATH_KEYS = ("path", "client_secrets", "service_account_file", "folder", "password_file",
             "ca_file")


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
    """The whole configuration. ``path`` is the file it came from (None: built-in defaults)."""

    store: StoreSettings = StoreSettings()
    me: MeSettings = MeSettings()
    accounts: tuple[AccountSettings, ...] = ()
    ignore: IgnoreSettings = IgnoreSettings()
    people: tuple[Person, ...] = ()
    report: ReportSettings = ReportSettings()
    delivery: DeliverySettings = DeliverySettings()
    daemon: DaemonSettings = DaemonSettings()
    path: Path | None = None

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
    _resolve_paths(data, path.parent)
    try:
        return Config.model_validate({**data, "path": path})
    except ValidationError as exc:
        lines = key_lines(text)
        raise ConfigError([_problem(e, path, lines, data) for e in exc.errors()]) from None


def _resolve_paths(data: dict[str, Any], base: Path) -> None:
    """Expand ``~`` and make relative paths relative to the config file's folder."""
    accounts = data.get("accounts")
    tables = [*(accounts if isinstance(accounts, list) else []), data.get("delivery")]
    for table in tables:
        for key in PATH_KEYS:
            if isinstance(table, dict) and isinstance(table.get(key), str):
                table[key] = str((base / Path(table[key]).expanduser()).resolve())


def _problem(err: Any, path: Path, lines: dict[tuple[Any, ...], int], data: Any) -> str:
    loc = [p for i, p in enumerate(err["loc"]) if not (i == 2 and p in ACCOUNT_KINDS)]
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    line = locate(lines, tuple(loc))
    kind, value = err["type"], err.get("input")
    if kind == "union_tag_invalid":
        msg = f"{value_of(data, loc)!r} is not one of {', '.join(ACCOUNT_KINDS)}"
        dotted += ".kind"
        line = locate(lines, (*loc, "kind"))
    elif kind == "union_tag_not_found":
        msg = f"missing 'kind' (one of {', '.join(ACCOUNT_KINDS)})"
    elif kind == "extra_forbidden":
        msg = "unknown key (see config/keepwarm.example.toml for the allowed keys)"
    elif kind == "missing":
        msg = "required key is missing"
    elif kind == "value_error":
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
    else:
        msg = f"{err['msg']} (got {value!r})" if not isinstance(value, dict) else err["msg"]
    return f"{path}:{line}: {dotted or '(top level)'}: {msg}"


def value_of(data: Any, loc: list[Any]) -> Any:
    """The raw value at ``loc`` + ``kind`` (for the tag error, whose input is the table)."""
    for part in loc:
        data = data[part]
    return data.get("kind") if isinstance(data, dict) else data
