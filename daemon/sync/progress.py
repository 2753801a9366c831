"""Progress bars for long imports on a terminal (rich); silent under systemd or in a pipe."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich loads with the first bar: a sync in a pipe or the journal skips it
    from rich.progress import TaskID


def wanted() -> bool:
    """A terminal, not the journal (systemd sets JOURNAL_STREAM/INVOCATION_ID)."""
    under_systemd = "INVOCATION_ID" in os.environ or "JOURNAL_STREAM" in os.environ
    return sys.stderr.isatty() and not under_systemd


class Progress:
    """One bar per stream, counting records. ``enabled=False`` makes every call a no-op."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = wanted() if enabled is None else enabled
        self._bar: Any = None

    def start(self, label: str, total: int | None) -> TaskID | None:
        if not self.enabled:
            return None
        if self._bar is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(), transient=False)
            self._bar.start()
        return self._bar.add_task(label, total=total)  # type: ignore[no-any-return]

    def advance(self, task: TaskID | None, n: int) -> None:
        if task is not None:
            self._bar.advance(task, n)

    def finish(self, task: TaskID | None) -> None:
        if task is not None:
            done = next(t.completed for t in self._bar.tasks if t.id == task)
            self._bar.update(task, total=done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
