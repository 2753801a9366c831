"""The Outlook mail stream: one delta query per mail folder, run up to four at a time, turned
into MessageRecords; the cursor is JSON holding each folder's nextLink or deltaLink."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from connectors.base import Cursor, Listing, MessageRecord, Page, Skips, Source
from connectors.errors import CursorExpired, GraphError
from connectors.microsoft.folders import Folder, discover, folder_path
from connectors.microsoft.graph_http import MAX_IN_FLIGHT, GraphHttp
from connectors.microsoft.records import instant, render_all, text

log = logging.getLogger(__name__)

SELECT = ("from,sender,toRecipients,ccRecipients,bccRecipients,receivedDateTime,sentDateTime,"
          "internetMessageId,conversationId,parentFolderId,inferenceClassification,isDraft")
PAGE_SIZE = 500
# Codes Graph (and public clients) use for a delta token it no longer knows.
EXPIRED_CODES = {"syncstatenotfound", "resyncrequired", "syncstateinvalid",
                 "errorinvalidsyncstatedata"}


def expired(exc: GraphError) -> bool:
    """True when ``exc`` says the delta/next link is too old: 410, or a 40X sync-state code."""
    return exc.status == 410 or (400 <= exc.status < 500 and exc.code.lower() in EXPIRED_CODES)


def message_record(item: dict[str, object], folder: Folder, skipped: Counter[str]
                   ) -> MessageRecord | None:
    """One Graph message as a MessageRecord, or None (counted) for drafts and partial items.
    Its time is ``receivedDateTime``, which Exchange stamps itself (in Sent Items too: when the
    copy was filed); ``sentDateTime`` is the client's Date header (a clock set to 1979, a
    ``14/05/2001`` read month first), used only when Graph gives no received time."""
    if item.get("isDraft") is True:
        skipped["draft"] += 1
        return None
    when = instant(item.get("receivedDateTime")) or instant(item.get("sentDateTime"))
    message_id = text(item.get("internetMessageId"))
    if when is None and message_id is None:
        skipped["partial_item"] += 1
        return None
    from_ = render_all([item["from"]], skipped) if item.get("from") else ()
    if not from_ and item.get("sender"):  # a delegate's mail may carry only sender
        from_ = render_all([item["sender"]], skipped)
    labels: tuple[str, ...] = (folder.label,)
    if str(item.get("inferenceClassification", "")).lower() == "other":
        labels += ("inference:other",)
    return MessageRecord(
        source_id=str(item["id"]), message_id=message_id,
        thread_id=text(item.get("conversationId")), when=when, from_=from_,
        to=render_all(item.get("toRecipients"), skipped),
        cc=render_all(item.get("ccRecipients"), skipped),
        bcc=render_all(item.get("bccRecipients"), skipped), labels=labels)


def load_cursor(cursor: Cursor | None) -> dict[str, str]:
    """Folder id -> link from our cursor JSON; a cursor we cannot read means a full resync."""
    if cursor is None:
        return {}
    try:
        data = json.loads(cursor)
        folders = data["folders"]
        if data.get("v") != 1 or not isinstance(folders, dict):
            raise ValueError("unknown cursor version")
        return {str(k): str(v) for k, v in folders.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CursorExpired("unreadable Microsoft mail cursor") from exc


def dump_cursor(links: dict[str, str]) -> Cursor:
    return json.dumps({"v": 1, "folders": dict(sorted(links.items()))}, separators=(",", ":"))


@dataclass
class _Fetched:
    """One page of one folder, parsed in a worker thread."""

    link: str | None = None  # what resumes this folder after the page; None: folder vanished
    more: bool = False  # the link is a nextLink (the round goes on)
    records: list[MessageRecord] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)  # still there, but not readable as records
    skipped: Counter[str] = field(default_factory=Counter)
    expired: bool = False  # the folder's link is too old: the whole stream must be listed again


class MailSource(Source):
    """``NAME/mail``: every filed folder's messages, moves kept as one record by immutable id.

    A pass from no cursor lists every folder and opens a :class:`Listing` on its first page.
    So does a pass that finds a folder's delta link expired, or a folder of the cursor gone:
    deletions in between are then known to no delta link, and the listing must name every
    message of every folder, so every folder starts over (one folder cannot be listed alone:
    the listing covers the whole stream).
    """

    def __init__(self, key: str, http: GraphHttp, *, page_size: int = PAGE_SIZE) -> None:
        self.key, self.http, self.page_size = key, http, page_size
        self.skipped = Skips()
        self._folders: dict[str, Folder] = {}

    def pages(self, cursor: Cursor | None) -> Iterator[Page]:
        """Run each folder's delta round to its deltaLink, yielding pages as they arrive."""
        links = load_cursor(cursor)
        folders = discover(self.http)
        self._folders = {f.id: f for f in folders}
        state = {fid: link for fid, link in links.items() if fid in self._folders}
        full = cursor is None or len(state) < len(links)  # a vanished folder took its mail
        relisted = 0
        while True:
            if full:
                state = {}
            expired = yield from self._pass(folders, state, cursor, full)
            if not expired:
                break
            full, relisted = True, relisted + 1
            log.info("mail delta token expired, listing every folder again stream=%s", self.key)
        log.info("mail synced stream=%s folders=%d relisted=%d skipped=%d", self.key,
                 len(folders), relisted, sum(self.skipped.values()))

    def _pass(self, folders: list[Folder], state: dict[str, str], cursor: Cursor | None,
              full: bool) -> Generator[Page, None, bool]:
        """One pass over every folder; True when it stopped at an expired link (only when
        not ``full``: a listing restarts a folder whose fresh links expire in place)."""
        listing = Listing() if full else None  # rides on the pass's first page
        added: dict[str, str] = {}  # id -> folder that recorded it this run: a removal
        # from another folder is a move; one from the same folder is a real removal
        last = cursor
        pool = ThreadPoolExecutor(MAX_IN_FLIGHT, thread_name_prefix="graph-mail")
        running: dict[Future[_Fetched], Folder] = {
            pool.submit(self._fetch, f, state.get(f.id), added, full): f for f in folders}
        try:
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    folder, got = running.pop(future), future.result()
                    self.skipped.update(got.skipped)
                    if got.expired:
                        return True
                    if got.link is None:
                        state.pop(folder.id, None)
                        continue
                    state[folder.id] = got.link
                    added.update((r.source_id, folder.id) for r in got.records)
                    if got.more:
                        running[pool.submit(self._fetch, folder, got.link, added, full)] = folder
                    if got.records or got.gone or got.listed or listing:
                        last = dump_cursor(state)
                        yield Page(tuple(got.records), tuple(got.gone), last, self.skipped.take(),
                                   listing=listing, listed=tuple(got.listed))
                        listing = None
            final, fresh = dump_cursor(state), self.skipped.take()
            if final != last or fresh or listing:  # skips of pages without records travel here
                yield Page(cursor=final, skipped=fresh, listing=listing)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return False

    def _initial(self, folder: Folder) -> str:
        query = urlencode({"$select": SELECT})
        return self.http.url(f"{folder_path(self.http, folder.id)}/messages/delta?{query}")

    def _fetch(self, folder: Folder, link: str | None, added: dict[str, str],
               listing: bool) -> _Fetched:
        got = _Fetched()
        link = link or self._initial(folder)
        prefer = (f"odata.maxpagesize={self.page_size}",)
        restarted = False
        while True:
            try:
                body = self.http.get(link, prefer=prefer)
                break
            except GraphError as exc:
                if expired(exc) and not listing:
                    return _Fetched(expired=True)
                if expired(exc) and not restarted:
                    link, restarted = self._initial(folder), True
                    continue
                if exc.status == 404:  # the folder was deleted since discovery
                    return _Fetched(skipped=got.skipped)
                raise
        records: dict[str, MessageRecord] = {}
        removed: dict[str, None] = {}
        for item in body.get("value") or []:
            sid = item.get("id") if isinstance(item, dict) else None
            if not isinstance(sid, str):
                got.skipped["no_id"] += 1
                continue
            if "@removed" in item:  # replays happen: the last word on an id wins
                records.pop(sid, None)
                removed[sid] = None
                continue
            removed.pop(sid, None)
            record = message_record(item, folder, got.skipped)
            if record is not None:
                records[sid] = record
            elif item.get("isDraft") is True:  # a message turned draft no longer counts
                records.pop(sid, None)
                got.gone.append(sid)
            else:  # unreadable, yet still there: a listing must not forget it
                got.listed.append(sid)
        self._settle([sid for sid in removed if added.get(sid, folder.id) == folder.id],
                     records, got)
        got.records = list(records.values())
        next_link, delta_link = body.get("@odata.nextLink"), body.get("@odata.deltaLink")
        got.more = isinstance(next_link, str)
        got.link = str(next_link if got.more else delta_link or link)
        return got

    def _settle(self, removed: list[str], records: dict[str, MessageRecord],
                got: _Fetched) -> None:
        """A removal from one folder may be a move into another: ask where the message is
        now (immutable ids survive moves) and keep it when it lives in a synced folder."""
        for sid in removed:
            try:
                item = self.http.get(f"{self.http.mailbox}/messages/" + quote(sid, safe=""),
                                     params={"$select": SELECT})
            except GraphError as exc:
                if exc.status not in (400, 404):
                    raise
                got.gone.append(sid)
                continue
            home = self._folders.get(str(item.get("parentFolderId")))
            record = message_record(item, home, got.skipped) if home else None
            if record is None:
                got.gone.append(sid)
            else:
                records[sid] = record
