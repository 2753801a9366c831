"""Read-ahead: run a generator in a forked child process, so reading and interpreting the
next pages overlaps committing the last ones (a second core does the parsing).

The parent receives each item in order and commits it as before, so crash safety is the
engine's own: the child only reads (files) and computes, and holds nothing the parent needs.
States of one read-ahead::

    started ──item──▶ started          (pickled through a pipe; the pipe's buffer bounds
       │                                 how far the child runs ahead: memory stays flat)
       ├─ generator ends ─▶ done        (the parent sees DONE, reaps the child)
       ├─ generator raises ─▶ failed    (the exception is raised again in the parent)
       └─ parent stops early (a stop between pages, a failed commit, a kill)
                          ─▶ child killed and reaped; a killed parent's child dies on its
                             next write (broken pipe)

Only for generators that touch nothing shared (a local archive's source): forking copies the
process, so a network client's connection or a token being refreshed must never be in it.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
from collections.abc import Callable, Generator, Iterator
from typing import IO, Any, TypeVar

from connectors.errors import ConnectorError

T = TypeVar("T")
_HEADER = struct.Struct("!Q")
_ITEM, _DONE, _FAILED = 0, 1, 2


def ahead(produce: Callable[[], Iterator[T]]) -> Generator[T, None, None]:
    """The items of ``produce()``, computed in a forked child while the caller uses them."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns, never runs the parent's exit handlers
        os.close(read_fd)
        _child(produce, write_fd)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            while True:
                kind, payload = _receive(pipe)
                if kind == _DONE:
                    return
                if kind == _FAILED:
                    raise payload
                yield payload
    finally:
        _reap(pid)


def _child(produce: Callable[[], Iterator[T]], write_fd: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    code = 0
    try:
        with os.fdopen(write_fd, "wb") as pipe:
            try:
                for item in produce():
                    _send(pipe, _ITEM, item)
                _send(pipe, _DONE, None)
            except BaseException as exc:  # raised again in the parent, which renders it
                _send(pipe, _FAILED, _portable(exc))
    except BaseException:  # a broken pipe: the parent has gone or stopped reading
        code = 1
    os._exit(code)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc, pickle.HIGHEST_PROTOCOL))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _send(pipe: IO[bytes], kind: int, payload: object) -> None:
    data = pickle.dumps((kind, payload), pickle.HIGHEST_PROTOCOL)
    pipe.write(_HEADER.pack(len(data)))
    pipe.write(data)
    pipe.flush()


def _receive(pipe: IO[bytes]) -> tuple[int, Any]:
    head = pipe.read(_HEADER.size)
    size = _HEADER.unpack(head)[0] if len(head) == _HEADER.size else -1
    data = pipe.read(size) if size >= 0 else b""
    if size < 0 or len(data) < size:
        raise _lost()
    return pickle.loads(data)  # type: ignore[no-any-return]


def _lost() -> ConnectorError:
    """The child ended without a word (killed: out of memory, or by hand): no bug, and what
    was committed stays."""
    return ConnectorError("the process reading ahead ended unexpectedly (killed, or out of "
                          "memory?)", hint="run `keepwarm sync` again: it goes on after the "
                          "last page written")


def _reap(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)  # done already, or no longer wanted
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
