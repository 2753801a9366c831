"""The sync engine: run each source from its stored cursor, committing every page's rows and
the cursor that follows them in one transaction.

States of one account's run (stored in ``accounts.status``)::

    ok ──sync──▶ ok                     every stream finished (or was stopped between pages)
     │   ├─ CursorExpired ─▶ cursor dropped, full resync of that stream, still ok
     │   ├─ AuthExpired ───▶ needs_reauth  (never retried; ``keepwarm auth NAME`` fixes it)
     │   ├─ MailboxRefused ▶ refused       (never retried; the organisation's administrator
     │   │                                  fixes it: an access policy leaves the mailbox out;
     │   │                                  error when there is no such mailbox)
     │   └─ other failure ─▶ error          (next run resumes from the last committed page)
    needs_reauth / refused / error ──successful sync──▶ ok

A kill at any instant loses nothing: the next run resumes after the last committed page, and
writes are idempotent, so a page replayed twice counts once.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import closing
from datetime import datetime
from functools import partial

from sqlalchemy import select, update

import connectors
from connectors.base import Env, Source
from connectors.errors import AuthExpired, CursorExpired, MailboxRefused
from connectors.settings import AccountSettings
from daemon.clock import now_utc
from daemon.config import Config, parse_duration
from daemon.errors import brief, with_fix
from daemon.store import Store, faults
from daemon.store.models import Account, ItemSource, Stream
from daemon.store.purge import purge
from daemon.store.vocab import AccountStatus
from daemon.sync import commands, listing
from daemon.sync.ahead import ahead
from daemon.sync.carry import carry_out
from daemon.sync.meaning import Interpreter
from daemon.sync.outcome import AccountResult, StreamResult, describe
from daemon.sync.progress import Progress
from daemon.sync.reading import Interpreted, interpreted

log = logging.getLogger(__name__)


class Engine:
    """Syncs the configured accounts into ``store``. ``stop`` ends a run between pages;
    ``readahead`` reads a local source's next pages in a forked process while this one commits
    (for a one-shot ``keepwarm sync``: never in a daemon, whose threads a fork would copy)."""

    def __init__(self, store: Store, config: Config, env: Env, *,
                 stop: threading.Event | None = None, progress: Progress | None = None,
                 build: Callable[[AccountSettings, Env], list[Source]] = connectors.build,
                 readahead: bool = False) -> None:
        self.store, self.config, self.env = store, config, env
        self.stop = stop or threading.Event()
        self.progress = progress or Progress(enabled=False)
        self._build = build
        # Linux only: macOS frameworks a connector may have loaded (the keyring's) are not
        # safe in a forked child, and Windows has no fork
        self.readahead = readahead and sys.platform.startswith("linux")

    def sync(self, names: Iterable[str] | None = None) -> list[AccountResult]:
        """Sync the named accounts (default: every enabled one); one failing account never
        stops the others."""
        wanted = set(names) if names is not None else None
        results = []
        for account in self.config.accounts:
            if (wanted is None and account.enabled) or (wanted and account.name in wanted):
                if self.stop.is_set():
                    break
                results.append(self.sync_account(account))
                if results[-1].store_failed:  # the next account would fail the same way
                    break
        return results

    def sync_account(self, account: AccountSettings) -> AccountResult:
        """Sync every stream of ``account``. Streams fail alone (a Gmail outage never keeps
        the calendar from being read); a credential failure stops them all."""
        result = AccountResult(account.name)
        try:
            account_id = self._account_row(account)
        except Exception as exc:
            return self._store_failed(exc, result)
        try:
            for source in self._build(account, self.env):
                stream = self._isolated(account_id, account, source, result)
                result.streams.append(stream)
                if self.stop.is_set():
                    break
            result.stopped = not all(s.complete for s in result.streams) or self.stop.is_set()
        except AuthExpired as exc:
            result.status, result.error, result.fix = AccountStatus.NEEDS_REAUTH, *describe(
                exc, "account", account.name, self.store.url)
        except MailboxRefused as exc:  # the policy covers the whole mailbox: every stream
            result.error, result.fix = describe(exc, "account", account.name, self.store.url)
            result.status = AccountStatus.REFUSED if exc.administrator else AccountStatus.ERROR
        except Exception as exc:  # building the sources, or a bug: isolate the account
            result.error, result.fix = describe(exc, "account", account.name, self.store.url)
            result.status = AccountStatus.ERROR
        try:
            self._finish_account(account_id, result)
        except Exception as exc:
            return self._store_failed(exc, result)
        return result

    def _store_failed(self, exc: Exception, result: AccountResult) -> AccountResult:
        """The store refused the account's own row (locked, full, damaged): one log line,
        and the run stops (raised again when it is not a store fault: a bug)."""
        if (fault := faults.explained(exc, self.store.url)) is None:
            raise exc
        log.error("sync stopped account=%s: %s", result.name, with_fix(str(fault), fault.hint))
        result.status, result.error, result.fix = AccountStatus.ERROR, str(fault), fault.hint
        result.store_failed = True
        return result

    def _isolated(self, account_id: int, account: AccountSettings, source: Source,
                  result: AccountResult) -> StreamResult:
        """One stream's sync; a failure other than a credential one is recorded on the
        account (the first such error names its stream) and the next stream goes on."""
        try:
            return self._sync_source(account_id, account, source)
        except (AuthExpired, MailboxRefused):
            raise
        except Exception as exc:
            error, fix = describe(exc, "stream", source.key, self.store.url)
            if result.error is None:
                result.status, result.error, result.fix = (
                    AccountStatus.ERROR, f"{source.key}: {error}", fix)
            return StreamResult(source.key)

    def _sync_source(self, account_id: int, account: AccountSettings, source: Source
                     ) -> StreamResult:
        stream_id, cursor = self._stream_row(account_id, source.key)
        try:
            try:
                return self._run(account_id, account, source, stream_id, cursor)
            except CursorExpired as exc:  # what expired, and what to do if it recurs
                log.warning("cursor expired, full resync stream=%s: %s", source.key,
                            with_fix(str(exc), exc.hint))
                with self.store.transaction() as s:
                    s.get_one(Stream, stream_id).cursor = None
                return self._run(account_id, account, source, stream_id, None)
        except Exception as exc:
            with self.store.transaction() as s:  # the account records it too; doctor reads this
                s.get_one(Stream, stream_id).last_error = brief(exc)
            raise

    def _run(self, account_id: int, account: AccountSettings, source: Source, stream_id: int,
             cursor: str | None) -> StreamResult:
        result = StreamResult(source.key)
        me = {*self.config.me.addresses, *filter(None, [account.own_address])}
        interp = Interpreter(me, account.name, now_utc())
        floor = self._retention_floor()
        source.known_ids = self._known_ids  # lets Gmail skip what a Takeout import holds
        task = self.progress.start(source.key, source.size_hint)
        reading = partial(interpreted, source, cursor, interp, floor)
        reader = ahead(reading) if self.readahead and source.local else reading()
        with closing(reader):  # a reader ahead stops at once when this run does
            for read in reader:
                self._commit(stream_id, read, result)
                self.progress.advance(task, read.records)
                if self.stop.is_set():
                    break
            else:
                result.complete = True
        if result.complete:
            result.forgotten = self._close_listing(stream_id)
        self.progress.finish(task)
        if floor is not None:
            purge(self.store, floor)
        self._finish_stream(stream_id, result)
        log.info("synced stream=%s records=%d touchpoints=%d skipped=%d forgotten=%d",
                 source.key, result.records, result.touchpoints, sum(result.skipped.values()),
                 result.forgotten)
        return result

    def _commit(self, stream_id: int, read: Interpreted, result: StreamResult) -> None:
        """One page's rows, skips and cursor, in one transaction."""
        skips = read.skips
        with self.store.transaction() as s:
            if read.commands:  # commands mailed to yourself commit with their page, once
                skips += carry_out(s, self.store.member_id, self._secret, read.commands,
                                   self.env.clock()())
            row = s.get_one(Stream, stream_id)
            written = listing.commit_page(s, row, read.page, read.meanings, read.nothing)
            row.cursor = read.page.cursor
            row.records_seen += read.records
            row.touchpoints_written += written
            if skips:  # they commit with the page they were counted on
                total = Counter(json.loads(row.skipped or "{}")) + skips
                row.skipped = json.dumps(dict(sorted(total.items())))
        result.skipped += skips
        result.records += read.records
        result.touchpoints += written

    def _secret(self) -> bytes:
        return commands.secret(self.env.state_dir, self.store.member)

    def _close_listing(self, stream_id: int) -> int:
        """After a completed pass: end the stream's open listing, if any; ids forgotten."""
        with self.store.transaction() as s:
            row = s.get_one(Stream, stream_id)
            return listing.close_listing(s, row) if row.listing_open else 0

    def _known_ids(self, ids: list[str]) -> set[str]:
        """Those of ``ids`` an account of this member holds (another member's never count)."""
        with self.store.session() as s:
            return set(s.execute(select(ItemSource.source_id).join(
                Account, Account.id == ItemSource.account_id).where(
                Account.member_id == self.store.member_id,
                ItemSource.source_id.in_(ids))).scalars())

    def _retention_floor(self) -> datetime | None:
        spec = self.config.store.retention
        return None if spec is None else now_utc() - parse_duration(spec)

    def _account_row(self, account: AccountSettings) -> int:
        """The account's row (added as this store's member's when new), its attempt stamped."""
        member = self.store.member_id  # before the transaction: it may add the member's row
        with self.store.transaction() as s:
            row = s.execute(select(Account).where(Account.name == account.name)).scalar()
            if row is None:
                row = Account(name=account.name, kind=account.kind, status=AccountStatus.OK,
                              member_id=member)
                s.add(row)
                s.flush()
            if row.kind != account.kind:  # another connector: the old cursors mean nothing to it
                log.warning("account kind changed, full resync account=%s", account.name)
                s.execute(update(Stream).where(Stream.account_id == row.id).values(cursor=None))
                row.kind = account.kind
            row.last_attempt_at = now_utc()
            return row.id

    def _stream_row(self, account_id: int, key: str) -> tuple[int, str | None]:
        with self.store.transaction() as s:
            row = s.execute(select(Stream).where(Stream.key == key)).scalar()
            if row is None:
                row = Stream(account_id=account_id, key=key, skipped="{}")
                s.add(row)
                s.flush()
            return row.id, row.cursor

    def _finish_stream(self, stream_id: int, result: StreamResult) -> None:
        with self.store.transaction() as s:
            row = s.get_one(Stream, stream_id)
            row.last_error = None
            if result.complete:
                row.last_success_at = now_utc()

    def _finish_account(self, account_id: int, result: AccountResult) -> None:
        with self.store.transaction() as s:
            row = s.get_one(Account, account_id)
            row.status, row.last_error = result.status, result.error
            row.last_error_fix = result.fix
            if result.status == AccountStatus.OK and not result.stopped:
                row.last_success_at = now_utc()
        if result.error:
            log.error("sync failed account=%s status=%s: %s", result.name, result.status,
                      with_fix(result.error, result.fix))
