"""Store faults in words a person can act on: one translator from a driver's error to a
:class:`~daemon.errors.StoreError` saying what is wrong with which store, and what to do.

    damaged        SQLite: "database disk image is malformed"
    not a database SQLite: "file is not a database"
    locked         another process holds the store past the busy timeout
    read-only      the file, its folder or its file system refuses writes
    disk full      SQLite "database or disk is full", PostgreSQL 53100, ENOSPC
    cannot connect PostgreSQL: the server at host:port (never the password)
    newer schema   built by :func:`newer_schema`: a revision this code does not know

The message names the store (a path, or the URL with its password masked) and, for anything
else, carries :func:`daemon.errors.brief` of the error: never SQL or its parameters.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
from pathlib import Path

from daemon.errors import StoreError, brief

BUSY_TIMEOUT_MS = 10_000
# Tests shorten the wait for a locked store; this is not a user setting.
BUSY_TIMEOUT_ENV = "KEEPWARM_TEST_BUSY_TIMEOUT_MS"
REBUILD = ("save snoozes and the sent-summary ledger with `keepwarm db export FILE`, then "
           "restore the store from a backup, or move it aside and run `keepwarm sync` to "
           "rebuild it from your mailboxes and `keepwarm db import FILE`")
WRITABLE = "make it writable by you (file, folder and file system), or set [store] url"
_FULL = {errno.ENOSPC, errno.EDQUOT}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


def busy_timeout_ms() -> int:
    """How long a write waits for another process's lock before it gives up."""
    return int(os.environ.get(BUSY_TIMEOUT_ENV) or BUSY_TIMEOUT_MS)


def expected(exc: BaseException) -> bool:
    """True for the failures this module explains: a database error, or a file that cannot
    be written (full, read-only, denied). Anything else is a bug worth a traceback."""
    # SQLAlchemy is imported only by the commands that use it (not by daemon.store.light's)
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if isinstance(exc, sqlite3.Error) or (sa_exc and isinstance(exc, sa_exc.SQLAlchemyError)):
        return True
    pg = sys.modules.get("psycopg")  # the daemon's main process: psycopg without SQLAlchemy
    if pg is not None and isinstance(exc, pg.Error):
        return True
    return isinstance(exc, OSError) and exc.errno in _FULL | _DENIED


def explained(exc: BaseException, url: str | None) -> StoreError | None:
    """``exc`` as one line and its fix when it is a store or file fault (:func:`expected`),
    else None: the caller re-raises, because anything else is a bug worth a traceback."""
    return explain(exc, url) if expected(exc) else None


def explain(exc: BaseException, url: str | None) -> StoreError:
    """``exc``, raised while using the store at ``url``, as one line and its fix."""
    if isinstance(exc, StoreError):
        return exc
    if isinstance(exc, OSError):
        return _os_error(exc)
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().lower()
    name = store_name(url)
    if "malformed" in text:
        return damaged(url)
    if "file is not a database" in text:
        return StoreError(f"{name} is not a SQLite database", hint="point [store] url at "
                          "your store, or move the file aside and run keepwarm sync")
    if "database is locked" in text or _sqlstate(inner) in ("55P03", "40P01"):
        return StoreError(f"the store {name} is locked: another process holds it (gave up "
                          f"after {busy_timeout_ms() / 1000:g} s)", hint=(
                              "another keepwarm (the service, or a sync) is writing to it: "
                              "wait for it to finish, or stop it (systemctl --user stop "
                              "keepwarm), then try again"))
    if "disk is full" in text or _sqlstate(inner) == "53100":
        return StoreError(f"the disk holding the store {name} is full",
                          hint="free some space on that disk, or set [store] url to another "
                          "one, then try again")
    if "readonly database" in text or "unable to open database file" in text:
        return StoreError(f"the store {name} is read-only{_why_read_only(url)}", hint=WRITABLE)
    if _sqlstate(inner) == "25006":
        return StoreError(f"the store {name} is read-only (the server refuses writes)",
                          hint="point [store] url at a server that accepts writes")
    if type(inner).__module__.startswith("psycopg") and "connect" in text:
        return StoreError(f"cannot connect to the store's server at {_host_port(url)} "
                          f"({_reason(str(inner))})", hint="start the server, or fix host "
                          "and port in [store] url")
    return StoreError(f"store error: {brief(exc)}")


def damaged(url: str | None) -> StoreError:
    """SQLite finds the store's file damaged (a failing disk, a bad copy)."""
    return StoreError(f"the store {store_name(url)} is damaged (database disk image is "
                      "malformed)", hint=REBUILD)


def newer_schema(revision: str) -> StoreError:
    """The store's revision is not one this code knows: a newer Keepwarm wrote it."""
    return StoreError(f"this store was written by a newer Keepwarm (revision {revision}); "
                      "upgrade Keepwarm", hint="pipx upgrade keepwarm, or pip install --upgrade "
                      "keepwarm; or set [store] url to another store")


def cannot_create(path: Path, exc: OSError, what: str = "folder") -> StoreError:
    """The store's folder (or, ``what="file"``, its file) cannot be created."""
    return StoreError(f"store {what} {path} cannot be created: {exc.strerror or exc}",
                      hint="set [store] url to a folder you can write, or fix the "
                      "permissions of its parent")


def _os_error(exc: OSError) -> StoreError:
    where = f" {exc.filename}" if exc.filename else ""
    if exc.errno in _FULL:
        return StoreError(f"cannot write{where}: the disk is full",
                          hint="free some space on it, then try again")
    if exc.errno in _DENIED:
        return StoreError(f"cannot write{where}: {exc.strerror}",
                          hint="fix its permissions, or choose another place")
    return StoreError(f"cannot use{where}: {exc.strerror or brief(exc)}")


def store_name(url: str | None) -> str:
    """The store as a person knows it: a SQLite file's path, else the URL without password."""
    if not url:
        return "(unknown)"
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return masked_url(url)


def masked_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, for output and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: it may still hold a secret
        return "***"


def _why_read_only(url: str | None) -> str:
    """Why a SQLite store cannot be written: its file system, folder or file."""
    if not url or not url.startswith("sqlite:///"):
        return ""
    path = Path(url.removeprefix("sqlite:///"))
    try:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return f" (its file system, at {path.parent}, is mounted read-only)"
    except OSError:
        return ""
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return f" (its folder {path.parent} is not writable by you)"
    if path.exists() and not os.access(path, os.W_OK):
        return " (the file is not writable by you)"
    return ""


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc, "sqlstate", None)


def _host_port(url: str | None) -> str:
    from sqlalchemy.engine import make_url

    try:
        u = make_url(url or "")
    except Exception:
        return "(unknown)"
    return f"{u.host or 'localhost'}:{u.port or 5432}"


def _reason(text: str) -> str:
    """The end of psycopg's "connection to server at ... failed: REASON", first line only."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first.rsplit("failed: ", 1)[-1].strip() or "connection failed"
