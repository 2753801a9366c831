"""What every CLI command needs, resolved once and lazily: config, store, connector env, output."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loaded on first use: a command that needs neither starts faster
    from rich.console import Console

    from connectors.base import Env
    from daemon.cli.snapshot import Settings
    from daemon.config import Config
    from daemon.store import Store
    from daemon.store.light import LightStore
    from daemon.store.sql import Db


class Context:
    """Built from the global options; ``config``, ``store`` and ``console`` load on first use."""

    def __init__(self, config_path: Path | None = None, *, console: Console | None = None,
                 require_config: bool = True) -> None:
        from daemon.paths import default_config_path

        self.config_path = config_path or default_config_path()
        self._console = console
        self.require_config = require_config
        self._store: Store | None = None
        self._light: LightStore | None = None
        self._light_tried = False

    @property
    def console(self) -> Console:
        """Where output goes (rich loads on first use: a plain ``print`` command skips it)."""
        if self._console is None:
            self._console = _console()
        return self._console

    @console.setter
    def console(self, value: Console) -> None:
        self._console = value

    @cached_property
    def config(self) -> Config:
        """The validated config; built-in defaults when the file is absent and not required."""
        from daemon import config as config_mod

        if not self.config_path.exists() and not self.require_config:
            return config_mod.Config()
        return config_mod.load(self.config_path)

    @cached_property
    def settings(self) -> Settings:
        """The few config values the quick commands read (``daemon.cli.snapshot``): kept from
        an earlier validation of this very file, else validated now (errors as ever) and kept."""
        from daemon.cli import snapshot

        if "config" in self.__dict__ or not self.config_path.exists():
            return snapshot.Settings.of(self.config)
        kept = snapshot.read(self.config_path)
        if kept is not None:
            return kept
        try:
            text = self.config_path.read_text(encoding="utf-8")
        except (OSError, ValueError):
            text = None  # then loading the config says what is wrong, as ever
        config = self.config
        if text is None:
            return snapshot.Settings.of(config)
        if self.config_path.read_text(encoding="utf-8") != text:  # edited meanwhile
            return snapshot.Settings.of(config)
        return snapshot.take(config, self.config_path, text)

    @property
    def state_dir(self) -> Path:
        from daemon.paths import state_home

        return state_home()

    @cached_property
    def env(self) -> Env:
        from connectors.base import Env

        return Env(state_dir=self.state_dir, interactive=self.console.is_terminal)

    def store(self) -> Store:
        """The store named by ``[store] url``, opened and migrated."""
        from daemon.store import Store

        if self._store is None:
            self._store = Store(self.config.store_url)
        return self._store

    def db(self) -> Db:
        """The store for commands that read or write a few rows: stdlib ``sqlite3`` when it is
        a current SQLite store (SQLAlchemy is never imported), else :meth:`store`."""
        if self._store is None and not self._light_tried:
            from daemon.store.light import open_light

            self._light_tried = True
            self._light = open_light(self.settings.store_url)
        return self._light or self.store()

    def store_url(self) -> str | None:
        """The URL of the store in use (for error messages), None when none is known yet."""
        if self._store is not None:
            return self._store.url
        if self._light is not None:
            return self._light.url
        config = self.__dict__.get("config") or self.__dict__.get("settings")  # never loaded here
        return config.store_url if config is not None else None

    def close(self) -> None:
        if self._light is not None:
            self._light.close()
            self._light = None
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
