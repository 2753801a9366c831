"""The Gmail stream: a resumable first sync over ``messages.list``, then ``history.list``.

Cursor (JSON, only parsed here): ``{"h": history id, "p": list page token, "o": offset in
that page, "l": the last id done in that page, "c": cut-off in epoch ms}`` during the first
sync, ``{"h": history id}`` after it.
The history id is taken from ``getProfile`` *before* the first listing, so nothing that
arrives during a long first sync is missed: the incremental phase replays it.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest

from connectors.base import Cursor, Env, Listing, MessageRecord, Page, Skips, Source
from connectors.errors import CursorExpired, SourceUnavailable
from connectors.google.gmail_records import (
    METADATA_HEADERS,
    history_actions,
    internal_date,
    skip_reason,
    to_record,
)
from connectors.google.quota import QuotaLimiter
from connectors.google.session import GoogleSession
from connectors.settings import GoogleAccount

log = logging.getLogger(__name__)

_PLACEHOLDER = "0placeholder0"
HISTORY_TYPES = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"]
# Gmail keeps history for about a week (sometimes less): an id older than that is refused.
EXPIRED = ("the Gmail history id has expired; Keepwarm lists the mailbox again from the start "
           "by itself (messages it holds are not fetched again)")
EXPIRED_FIX = ("if this repeats, sync more often than Gmail keeps history (about a week): "
               "`keepwarm service install`, or a shorter [daemon] sync_interval")


def _int(value: Any) -> int:
    """History ids arrive as strings; compare them as integers."""
    return int(str(value))


class GmailSource(Source):
    """``NAME/mail``. When ``known_ids`` is set (ids -> the subset already stored, e.g. from a
    Takeout mbox), a first sync skips fetching those and names them in ``Page.listed``. A
    first sync is a full listing from the look-back cut-off on (``Page.listing`` on its first
    page); an expired history id makes the engine start one again. Every page carries the
    mailbox's own address, from ``getProfile``."""

    list_size = 500  # the API's maximum
    batch_size = 50  # Google's advice; 100 is the hard limit
    history_size = 100

    def __init__(
        self,
        account: GoogleAccount,
        env: Env,
        *,
        limiter: QuotaLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.key = f"{account.name}/mail"
        self.account = account
        self.env = env
        self.limiter = limiter or QuotaLimiter(
            account.quota_per_minute, costs=account.quota_costs, sleep=sleep
        )
        self.sleep = sleep
        self.skipped = Skips()
        self.address: str | None = None  # the mailbox's own address, from getProfile
        self.session: GoogleSession | None = None
        self._opening: Listing | None = None  # carried by the next page: a listing begins

    def pages(self, cursor: Cursor | None) -> Iterator[Page]:
        """Pages after ``cursor``: the rest of the first sync, then the history since."""
        state = self._parse(cursor)
        self.skipped = Skips()  # counts are per pass; each page carries its share
        self._opening = None
        self.session = GoogleSession(self.account, self.env, limiter=self.limiter, sleep=self.sleep)
        users = self.session.service("gmail").users()
        self._messages, self._historyapi = users.messages(), users.history()
        self._get = self._get_template()
        try:
            profile = self._call(users.getProfile(userId="me"), "getProfile")
            self.address = profile.get("emailAddress") or self.account.address
            if "p" in state or not state:
                if not state:
                    cutoff = self.env.clock()() - timedelta(days=self.account.lookback_days)
                    state = {"h": _int(profile["historyId"]), "p": None, "o": 0,
                             "c": int(cutoff.timestamp() * 1000)}
                    # The listing stops at the look-back cut-off: older mail is not named,
                    # so the window says where it starts (the store keeps what is older).
                    self._opening = Listing(datetime.fromtimestamp(state["c"] / 1000, UTC))
                yield from self._first_sync(state)
            yield from self._history(_int(state["h"]))
        finally:
            self.session.close()
            if self.skipped:
                log.info("%s: skipped %s", self.key, dict(self.skipped))

    @staticmethod
    def _parse(cursor: Cursor | None) -> dict[str, Any]:
        if cursor is None:
            return {}
        try:
            state = json.loads(cursor)
            _int(state["h"])
            return dict(state)
        except (ValueError, KeyError, TypeError):
            raise CursorExpired("unreadable Gmail cursor") from None

    def _page(self, records: list[MessageRecord], gone: Sequence[str],
              state: dict[str, Any], listed: Sequence[str] = ()) -> Page:
        """A page with the cursor of ``state``, the skips since the last page, the address,
        the ids listed but not re-read, and the listing it opens, if any."""
        opening, self._opening = self._opening, None
        return Page(tuple(records), tuple(gone), json.dumps(state), self.skipped.take(),
                    self.address, listing=opening, listed=tuple(listed))

    def _call(self, request: Any, method: str, **kw: Any) -> Any:
        assert self.session is not None
        return self.session.caller.execute(request, method, **kw)

    def _first_sync(self, st: dict[str, Any]) -> Iterator[Page]:
        """Page newest-first through message ids, fetching metadata in batches, until the
        list ends or a message older than the look-back window shows up."""
        token, offset, cutoff = st["p"], int(st["o"]), int(st["c"])
        anchor = st.get("l")  # the last id done mid-page: the re-listed page may have shifted
        base = {k: st[k] for k in ("h", "c")}
        done = {"h": st["h"]}
        seen: set[str] = set()
        while True:
            req = self._messages.list(
                userId="me", maxResults=self.list_size, pageToken=token
            )
            resp = self._call(req, "messages.list")
            ids = [m["id"] for m in resp.get("messages") or [] if isinstance(m.get("id"), str)]
            nxt = resp.get("nextPageToken")
            if anchor is not None:  # resume after the anchor; gone from the page: redo it all
                offset, anchor = (ids.index(anchor) + 1 if anchor in ids else 0), None
            known = self._known(ids[offset:])
            for pos in range(offset, len(ids), self.batch_size):
                chunk = ids[pos : pos + self.batch_size]
                end = pos + len(chunk)
                msgs = self._fetch([i for i in chunk if i not in known])
                dates = [internal_date(m.get("internalDate")) for m in msgs]
                reached = any(d is not None and d.timestamp() * 1000 < cutoff for d in dates)
                records = [r for r, d in zip(self._records(msgs, []), dates, strict=True)
                           if r is not None and (d is None or d.timestamp() * 1000 >= cutoff)]
                listed = [i for i in chunk if i in known]  # stored, still upstream
                if reached or (end >= len(ids) and not nxt):
                    yield self._page(records, (), done, listed)
                    return
                here = ({**base, "p": nxt, "o": 0} if end >= len(ids)
                        else {**base, "p": token, "o": end, "l": ids[end - 1]})
                yield self._page(records, (), here, listed)
            if not nxt:  # an empty last page
                yield self._page([], (), done)
                return
            token, offset = _next_token(seen, nxt), 0

    def _get_template(self) -> Callable[[str], HttpRequest]:
        """``messages.get`` requests, built once by the library and then copied per id:
        building each anew (URI template, query encoding) dominated a first sync's CPU."""
        template = self._messages.get(
            userId="me", id=_PLACEHOLDER, format="metadata", metadataHeaders=list(METADATA_HEADERS)
        )
        head, sep, tail = template.uri.partition(_PLACEHOLDER)
        assert sep, "the message id must appear in the URI"

        def get(message_id: str) -> HttpRequest:
            req = copy.copy(template)
            req.headers = dict(template.headers)
            req.response_callbacks = []
            req.uri = head + quote(message_id, safe="") + tail
            return req

        return get

    def _known(self, ids: list[str]) -> set[str]:
        if not self.known_ids or not ids:
            return set()
        known = set(self.known_ids(ids)) & set(ids)
        self.skipped["known"] += len(known)
        return known

    def _fetch(self, ids: list[str]) -> list[dict[str, Any]]:
        """Metadata of ``ids`` in order; ids answered 404 (deleted meanwhile) are left out."""
        if not ids:
            return []
        assert self.session is not None
        requests = {str(n): self._get(i) for n, i in enumerate(ids)}
        done, missing = self.session.caller.batch(
            requests, "messages.get", self.session.endpoints.batch
        )
        if missing:
            self.skipped["deleted"] += len(missing)
        return [done[str(n)] for n in range(len(ids)) if str(n) in done]

    def _records(self, msgs: list[dict[str, Any]], gone: list[str]) -> list[MessageRecord | None]:
        """One entry per message: its record, or None (skipped, its id added to ``gone``)."""
        out: list[MessageRecord | None] = []
        for msg in msgs:
            reason = skip_reason(msg)
            record = None if reason else to_record(msg)
            if reason or record is None:
                self.skipped[reason or "malformed"] += 1
                if isinstance(msg.get("id"), str):
                    gone.append(msg["id"])
            out.append(record)
        return out

    def _history(self, start: int) -> Iterator[Page]:
        """Pages of changes since history id ``start``; a 404 means the id expired."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            req = self._historyapi.list(
                userId="me", startHistoryId=str(start), historyTypes=HISTORY_TYPES,
                maxResults=self.history_size, pageToken=token,
            )
            try:
                resp = self._call(req, "history.list", passthrough=(404,))
            except HttpError as err:
                raise CursorExpired(EXPIRED, hint=EXPIRED_FIX) from err
            actions, last = history_actions(resp.get("history") or [], start)
            fetch = [i for i, act in actions.items() if act == "fetch"]
            gone = [i for i, act in actions.items() if act == "gone"]
            msgs = self._fetch_all(fetch)
            found = {m.get("id") for m in msgs}
            gone += [i for i in fetch if i not in found]
            records = [r for r in self._records(msgs, gone) if r is not None]
            token = resp.get("nextPageToken")
            mark = last if token else max(start, _int(resp.get("historyId", last)))
            yield self._page(records, gone, {"h": mark})
            if not token:
                return
            token = _next_token(seen, token)

    def _fetch_all(self, ids: list[str]) -> list[dict[str, Any]]:
        return [m for n in range(0, len(ids), self.batch_size)
                for m in self._fetch(ids[n : n + self.batch_size])]


def _next_token(seen: set[str], token: str) -> str:
    """``token``, unless the server hands out one it gave before: paging would never end."""
    if token in seen:
        raise SourceUnavailable("Gmail repeated a page token; stopped paging",
                                hint="the next sync resumes from the last committed page")
    seen.add(token)
    return token
