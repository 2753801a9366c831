"""The mail stream of one IMAP account, folder by folder, incremental per folder.

A pass asks each folder's STATUS (MESSAGES, UIDNEXT, UIDVALIDITY, and HIGHESTMODSEQ under
CONDSTORE). A folder whose UIDNEXT, message count and HIGHESTMODSEQ match the cursor has
nothing new, gone or reflagged and is not even opened. Otherwise it is opened read-only
(EXAMINE) and :mod:`connectors.imap.changes` says which UIDs the cursor holds are ``gone`` and
which to fetch (headers only, a page at a time): by QRESYNC or CONDSTORE where the server
offers them, else by a cheap ``UID SEARCH ALL``.

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
from connectors.imap import changes, records, session
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
            yield from self._pass(client, load(cursor), changes.mode(client))
        except (IMAPClientError, imaplib.IMAP4.abort, OSError) as exc:
            raise SourceUnavailable(f"IMAP connection to {self.account.host} failed: {exc}",
                                    hint="the next sync resumes from the last page") from None
        finally:
            try:
                client.logout()
            except Exception:  # the connection may already be gone; nothing to release
                pass

    def _pass(self, client: IMAPClient, state: State | None, how: str) -> Iterator[Page]:
        skipped = Skips()
        pager = Pager(skipped, self.page_size)
        chosen = session.folders(client, self.account)
        fresh = state is None
        state = state or State()
        names = [f.name for f in chosen]
        for name in [n for n in state.folders if n not in names]:  # gone or now excluded
            old = state.folders.pop(name)
            pager.gone += [records.source_id(name, old.uidvalidity, u) for u in old.uids]
        statuses = {name: self._status(client, name, how, skipped) for name in names}
        expired = [n for n, st in statuses.items() if st is not None and n in state.folders
                   and state.folders[n].uidvalidity != st[b"UIDVALIDITY"]]
        if fresh or expired:
            log.info("%s: full listing (%s)", self.key,
                     "first pass" if fresh else f"UIDVALIDITY changed: {', '.join(expired)}")
            pager.listing, state.relist = Listing(), list(names)
        for folder in chosen:
            status = statuses[folder.name]
            if status is not None:
                yield from self._folder(client, folder, status, state, pager, how)
        state.relist = None
        if skipped:
            log.info("%s: skipped %s", self.key, dict(sorted(skipped.items())))
        yield _take(pager, state)  # the last page: every pass ends with the cursor after it

    def _status(self, client: IMAPClient, name: str, how: str,
                skipped: Skips) -> dict[bytes, Any] | None:
        wanted = [b"MESSAGES", b"UIDNEXT", b"UIDVALIDITY"]
        if how != changes.PLAIN:
            wanted.append(b"HIGHESTMODSEQ")
        try:
            return client.folder_status(name, wanted)
        except IMAPClientError as exc:
            log.warning("%s: cannot read folder %r: %s", self.key, name, exc)
            skipped["unreadable_folder"] += 1
            return None

    def _folder(self, client: IMAPClient, folder: session.Folder, status: dict[bytes, Any],
                state: State, pager: Pager, how: str) -> Iterator[Page]:
        """Gone, listed and new messages of one folder, a page whenever the pager fills."""
        name, uv = folder.name, int(status[b"UIDVALIDITY"])
        known = state.folders.get(name)
        if known is None or known.uidvalidity != uv:
            known = state.folders[name] = FolderState(uv)
        relisting = state.relist is not None and name in state.relist
        modseq = status.get(b"HIGHESTMODSEQ")
        unchanged = (known.uidnext == status[b"UIDNEXT"] and known.modseq == modseq
                     and len(known.uids) == status[b"MESSAGES"])
        if not unchanged or relisting:
            client.select_folder(name, readonly=True)
            if relisting or known.modseq is None or how == changes.PLAIN:
                found = changes.listing(client, known)
            else:
                found = changes.since(client, known, how)
            pager.gone += [records.source_id(name, uv, u) for u in sorted(found.gone)]
            known.uids -= found.gone
            known.drafts -= found.gone
            if relisting:
                pager.listed += [records.source_id(name, uv, u) for u in sorted(known.uids)]
            yield from self._fetch(client, folder, uv, found.fetch, state, pager)
        # read before the folder was: what changed since is seen again next pass, never lost
        known.uidnext, known.modseq = int(status[b"UIDNEXT"]), modseq
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
            drafts = {u for u, d in answer.items() if records.is_draft(d)}
            known.drafts = (known.drafts - set(chunk)) | drafts
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
