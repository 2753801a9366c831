"""What every CLI command needs, resolved once and lazily: config, store, connector env, output.

In a team config (``[[members]]``) a command acts for the member named by ``--member`` (or
``KEEPWARM_MEMBER``): ``config`` and ``settings`` are that member's, ``store`` and ``db`` see
that member's rows. A per-person command without a member fails with one line naming the
members; the others (status, sync, run ...) go through :meth:`Context.team` and
:meth:`Context.db` for each member.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemon.errors import UsageError

if TYPE_CHECKING:  # loaded on first use: a command that needs neither starts faster
    from rich.console import Console

    from connectors.base import Env
    from daemon.cli.snapshot import Settings
    from daemon.config import Config
    from daemon.store import Store
    from daemon.store.light import LightStore
    from daemon.store.sql import Db


_RICH_TTY = {"FORCE_COLOR", "TTY_COMPATIBLE"}  # make rich treat a pipe as a terminal


def _terminal() -> bool | None:
    """What rich's ``Console.is_terminal`` says of stdout, told without loading rich (~20 ms
    of a sync); None when one of the variables that override its test is set."""
    if _RICH_TTY & os.environ.keys():
        return None
    try:
        return sys.stdout.isatty()
    except ValueError:  # a closed stdout: rich says no terminal too
        return False


_EMOJI = re.compile(r":\S*:")  # what rich could read as an emoji code (``:smile:``)


def _plain(line: str) -> bool:
    """Whether rich prints ``line`` as is at the piped width (160; markup and highlighting are
    off): printable ASCII with room to spare and nothing that could be an emoji code."""
    return (len(line) <= 150 and line.isascii() and line.isprintable()
            and _EMOJI.search(line) is None)


class Context:
    """Built from the global options; ``config``, ``store`` and ``console`` load on first use.

    ``member``: the ``--member`` given (None: none); ``per_member``: the command shows or
    changes one person's data, so a team config needs ``member``.
    """

    def __init__(self, config_path: Path | None = None, *, console: Console | None = None,
                 require_config: bool = True, member: str | None = None,
                 per_member: bool = False) -> None:
        from daemon.paths import default_config_path

        self.config_path = config_path or default_config_path()
        self._console = console
        self.require_config = require_config
        self.member, self.per_member = member or None, per_member
        self._store: Store | None = None
        self._light: dict[str, LightStore | None] = {}

    @property
    def console(self) -> Console:
        """Where output goes (rich loads on first use: a plain ``print`` command skips it)."""
        if self._console is None:
            self._console = _console()
        return self._console

    @console.setter
    def console(self, value: Console) -> None:
        self._console = value

    def say(self, line: str) -> None:
        """``console.print(line)``. Into a pipe, a line rich would print unchanged (short plain
        ASCII, nothing to wrap or replace) is printed without loading rich."""
        if self._console is None and _terminal() is False and _plain(line):
            print(line)
        else:
            self.console.print(line)

    @cached_property
    def file_config(self) -> Config:
        """The whole validated file (a team's every member); built-in defaults when the file is
        absent and not required."""
        from daemon import config as config_mod

        if not self.config_path.exists() and not self.require_config:
            return config_mod.Config()
        return config_mod.load(self.config_path)

    @cached_property
    def config(self) -> Config:
        """The config this command acts on: the member's (``--member``), else the file's."""
        return self._chosen(self.file_config)

    def team(self) -> tuple[Config, ...]:
        """The members a command covering everyone acts on: the one chosen, else all."""
        return (self.config,) if self.member else self.file_config.team()

    @cached_property
    def file_settings(self) -> Settings:
        """The few config values the quick commands read (``daemon.cli.snapshot``): kept from
        an earlier validation of this very file, else validated now (errors as ever) and kept."""
        from daemon.cli import snapshot

        if "file_config" in self.__dict__ or not self.config_path.exists():
            return snapshot.Settings.of(self.file_config)
        kept = snapshot.read(self.config_path)
        if kept is not None:
            return kept
        try:
            text = self.config_path.read_text(encoding="utf-8")
        except (OSError, ValueError):
            text = None  # then loading the config says what is wrong, as ever
        config = self.file_config
        if text is None:
            return snapshot.Settings.of(config)
        if self.config_path.read_text(encoding="utf-8") != text:  # edited meanwhile
            return snapshot.Settings.of(config)
        return snapshot.take(config, self.config_path, text)

    @cached_property
    def settings(self) -> Settings:
        """:attr:`file_settings` of the member this command acts on, as :attr:`config`."""
        return self._chosen(self.file_settings)

    def team_settings(self) -> tuple[Settings, ...]:
        """:meth:`team`'s members' settings."""
        return (self.settings,) if self.member else self.file_settings.team()

    def _chosen(self, whole: Any) -> Any:
        """``whole``'s member named by ``--member``; ``whole`` when none is named, unless the
        command is per person and ``whole`` a team: then the one-line error naming them."""
        members = whole.team()
        if self.member is not None:
            found = next((m for m in members if m.member == self.member), None)
            if found is None:
                raise UsageError(f"no member named {self.member!r} (members: "
                                 f"{', '.join(m.member for m in members)})")
            return found
        if whole.members and self.per_member:
            raise self.name_the_member(whole)
        return whole

    @staticmethod
    def name_the_member(whole: Any) -> UsageError:
        """The one-line error of a per-person command on a team without ``--member``."""
        names = ", ".join(m.member for m in whole.team())
        return UsageError(f"this config is a team: name the member with --member NAME "
                          f"(members: {names})")

    @property
    def state_dir(self) -> Path:
        from daemon.paths import state_home

        return state_home()

    @cached_property
    def env(self) -> Env:
        from connectors.base import Env

        tty = _terminal() if self._console is None else None  # None: ask rich
        return Env(state_dir=self.state_dir,
                   interactive=self.console.is_terminal if tty is None else tty)

    def store(self) -> Store:
        """The store named by ``[store] url``, opened and migrated, seen as the member's."""
        from daemon.store import Store

        if self._store is None:
            self._store = Store(self.config.store_url, member=self.config.member)
        return self._store

    def db(self, member: str | None = None) -> Db:
        """The store for commands that read or write a few rows, seen as ``member``'s (default:
        the member acted for): stdlib ``sqlite3`` when it is a current SQLite store
        (SQLAlchemy is never imported), else :meth:`store`."""
        name = member or self.settings.member
        if self._store is None and name not in self._light:
            from daemon.store.light import open_light

            self._light[name] = open_light(self.settings.store_url, name)
        light = self._light.get(name)
        if light is not None:
            return light
        store = self.store()
        return store if store.member == name else store.scoped(name)

    def store_url(self) -> str | None:
        """The URL of the store in use (for error messages), None when none is known yet."""
        if self._store is not None:
            return self._store.url
        light = next((db for db in self._light.values() if db is not None), None)
        if light is not None:
            return light.url
        config = self.__dict__.get("file_config") or self.__dict__.get("file_settings")
        return config.store_url if config is not None else None

    def close(self) -> None:
        for light in self._light.values():
            if light is not None:
                light.close()
        self._light.clear()
        if self._store is not None:
            self._store.dispose()
            self._store = None


def _console() -> Console:
    """Plain output (brackets in config keys are not markup); wide tables when piped."""
    from rich.console import Console

    console = Console(highlight=False, markup=False)
    if not console.is_terminal:
        console.width = 160
    return console
