"""The mail stream of one IMAP account, folder by folder, incremental per folder.

A pass asks each folder's STATUS (MESSAGES, UIDNEXT, UIDVALIDITY, and HIGHESTMODSEQ under
CONDSTORE). A folder whose UIDNEXT and message count match the cursor has neither new nor
deleted mail and is not even opened. Otherwise it is opened read-only (EXAMINE), a cheap
``UID SEARCH ALL`` gives its UIDs: those the cursor holds and the server no longer does are
``gone``, new ones are fetched (headers only) a page at a time.

A first pass, and a pass that finds a folder's UIDVALIDITY changed (its UIDs now mean other
messages: an expired cursor for that folder), opens a full listing: the changed folder is read
again under new ids, and every other folder names the ids it still holds in ``Page.listed``,
so the engine forgets what the listing did not name. A folder that disappeared (deleted,
renamed, now excluded) reports all its ids gone. A message moved between folders leaves one
id and arrives under another; the engine keeps one item for both (Message-ID identity).
"""

from __future__ import annotations

import imaplib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from connectors.base import Cursor, Listing, Page, Skips, Source
from connectors.errors import SourceUnavailable
from connectors.imap import records, session
from connectors.imap.cursor import FolderState, State, load
from connectors.local.common import Pager
from connectors.settings import ImapAccount

log = logging.getLogger("connectors.imap")
PAGE_SIZE = 500  # messages per FETCH and per page


class ImapSource(Source):
    """``NAME/mail`` of an IMAP account."""

    def __init__(self, key: str, account: ImapAccount, password: Callable[[], str],
                 page_size: int = PAGE_SIZE) -> None:
        self.key, self.account, self.password = key, account, password
        self.page_size = page_size

    def pages(self, cursor: Cursor | None) -> Iterator[Page]:
        client = session.connect(self.account, self.password)
        client.normalise_times = False  # aware INTERNALDATE, not local naive time
        try:
            yield from self._pass(client, load(cursor))
        except (IMAPClientError, imaplib.IMAP4.abort, OSError) as exc:
            raise SourceUnavailable(f"IMAP connection to {self.account.host} failed: {exc}",
                                    hint="the next sync resumes from the last page") from None
        finally:
            try:
                client.logout()
            except Exception:  # the connection may already be gone; nothing to release
                pass

    def _pass(self, client: IMAPClient, state: State | None) -> Iterator[Page]:
        skipped = Skips()
        pager = Pager(skipped, self.page_size)
        chosen = session.folders(client, self.account)
        fresh = state is None
        state = state or State()
        names = [f.name for f in chosen]
        for name in [n for n in state.folders if n not in names]:  # gone or now excluded
            old = state.folders.pop(name)
            pager.gone += [records.source_id(name, old.uidvalidity, u) for u in old.uids]
        statuses = {name: self._status(client, name, skipped) for name in names}
        expired = [n for n, st in statuses.items() if st is not None and n in state.folders
                   and state.folders[n].uidvalidity != st[b"UIDVALIDITY"]]
        if fresh or expired:
            log.info("%s: full listing (%s)", self.key,
                     "first pass" if fresh else f"UIDVALIDITY changed: {', '.join(expired)}")
            pager.listing, state.relist = Listing(), list(names)
        for folder in chosen:
            status = statuses[folder.name]
            if status is not None:
                yield from self._folder(client, folder, status, state, pager)
        state.relist = None
        if skipped:
            log.info("%s: skipped %s", self.key, dict(sorted(skipped.items())))
        yield _take(pager, state)  # the last page: every pass ends with the cursor after it

    def _status(self, client: IMAPClient, name: str, skipped: Skips) -> dict[bytes, Any] | None:
        wanted = [b"MESSAGES", b"UIDNEXT", b"UIDVALIDITY"]
        if client.has_capability("CONDSTORE"):
            wanted.append(b"HIGHESTMODSEQ")
        try:
            return client.folder_status(name, wanted)
        except IMAPClientError as exc:
            log.warning("%s: cannot read folder %r: %s", self.key, name, exc)
            skipped["unreadable_folder"] += 1
            return None

    def _folder(self, client: IMAPClient, folder: session.Folder, status: dict[bytes, Any],
                state: State, pager: Pager) -> Iterator[Page]:
        """Gone, listed and new messages of one folder, a page whenever the pager fills."""
        name, uv = folder.name, int(status[b"UIDVALIDITY"])
        known = state.folders.get(name)
        if known is None or known.uidvalidity != uv:
            known = state.folders[name] = FolderState(uv)
        relisting = state.relist is not None and name in state.relist
        unchanged = (known.uidnext == status[b"UIDNEXT"]
                     and len(known.uids) == status[b"MESSAGES"])
        if not unchanged or relisting:
            client.select_folder(name, readonly=True)
            current = set(client.search("ALL"))
            pager.gone += [records.source_id(name, uv, u) for u in sorted(known.uids - current)]
            known.uids &= current
            if relisting:
                pager.listed += [records.source_id(name, uv, u) for u in sorted(known.uids)]
            yield from self._fetch(client, folder, uv, sorted(current - known.uids), state,
                                   pager)
        known.uidnext, known.modseq = int(status[b"UIDNEXT"]), status.get(b"HIGHESTMODSEQ")
        if state.relist is not None and name in state.relist:
            state.relist.remove(name)

    def _fetch(self, client: IMAPClient, folder: session.Folder, uv: int, new: list[int],
               state: State, pager: Pager) -> Iterator[Page]:
        labels = (folder.name,) + (("sent",) if folder.sent else ())
        known = state.folders[folder.name]
        for start in range(0, len(new), self.page_size):
            chunk = new[start:start + self.page_size]
            answer = client.fetch(chunk, records.WANT)
            found, empty = records.to_records(folder.name, uv, labels, answer, chunk)
            pager.records += found
            if empty:
                pager.skipped["no_headers"] += empty
            known.uids.update(chunk)
            if pager.full:
                yield _take(pager, state)
        if pager.full:
            yield _take(pager, state)


def _take(pager: Pager, state: State) -> Page:
    """The page so far, with the cursor text of ``state`` (the resume point after it)."""
    page = pager.take({})
    return Page(page.records, page.gone, state.dump(), page.skipped, listing=page.listing,
                listed=page.listed, incomplete=page.incomplete)
