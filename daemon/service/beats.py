"""The sync engine's progress hooks as heartbeats (:mod:`daemon.service.heartbeat`).

Apart from the heartbeat itself so that the daemon's main process, which only watches the
heartbeat, never loads the progress bars (rich) the engine's hooks are written for.
"""

from __future__ import annotations

from rich.progress import TaskID

from daemon.service.heartbeat import Heartbeat
from daemon.sync.progress import Progress


class Beats(Progress):
    """The engine's progress hooks as heartbeats (never a progress bar: this runs under
    systemd, where there is no terminal)."""

    def __init__(self, heartbeat: Heartbeat) -> None:
        super().__init__(enabled=False)
        self.heartbeat = heartbeat

    def start(self, label: str, total: int | None) -> TaskID | None:
        self.heartbeat.beat()
        return None

    def advance(self, task: TaskID | None, n: int) -> None:
        self.heartbeat.beat()

    def finish(self, task: TaskID | None) -> None:
        self.heartbeat.beat()

    def close(self) -> None:
        """Nothing to close: no bar was ever drawn."""
