"""Which mail folders to sync: every folder the user files mail in (Inbox, Sent Items, Archive
and their own folders, at any depth), never Junk, Deleted Items, Drafts or Outbox."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote

from connectors.errors import GraphError
from connectors.microsoft.graph_http import MAX_IN_FLIGHT, GraphHttp

# Labelled by their well-known name, which does not depend on the mailbox's language.
LABELLED = ("inbox", "sentitems", "archive")
# Not filed by the user (or not mail): skipped with everything below them.
EXCLUDED = ("junkemail", "deleteditems", "drafts", "outbox", "conversationhistory",
            "syncissues", "recoverableitemsdeletions")
_SELECT = "id,displayName,childFolderCount"


@dataclass(frozen=True, slots=True)
class Folder:
    """A folder to sync: its id and the label its messages carry."""

    id: str
    label: str


def folder_path(http: GraphHttp, folder_id: str) -> str:
    return f"{http.mailbox}/mailFolders/" + quote(folder_id, safe="")


def _well_known(http: GraphHttp, name: str) -> str | None:
    try:
        body = http.get(f"{http.mailbox}/mailFolders/{name}", params={"$select": "id"})
    except GraphError as exc:
        if exc.status in (400, 404):  # this mailbox has no such folder (e.g. no archive)
            return None
        raise
    value = body.get("id")
    return value if isinstance(value, str) else None


def _listing(http: GraphHttp, path: str) -> Iterator[dict[str, object]]:
    link: str | None = path
    params: dict[str, str] | None = {"$select": _SELECT, "$top": "250"}
    while link:
        body = http.get(link, params=params)
        params = None  # the nextLink carries the query
        for item in body.get("value") or []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                yield item
        next_link = body.get("@odata.nextLink")
        link = next_link if isinstance(next_link, str) else None


def discover(http: GraphHttp) -> list[Folder]:
    """The folders to sync, found fresh on every run so new folders are picked up."""
    ids = {"inbox": _well_known(http, "inbox")}  # alone first: a refused sign-in stops here
    names = LABELLED[1:] + EXCLUDED
    with ThreadPoolExecutor(MAX_IN_FLIGHT) as pool:
        ids.update(zip(names, pool.map(lambda n: _well_known(http, n), names), strict=True))
    labels = {ids[n]: n for n in LABELLED if ids[n]}
    excluded = {ids[n] for n in EXCLUDED if ids[n]}
    found: list[Folder] = []
    pending = [f"{http.mailbox}/mailFolders"]
    while pending:
        for item in _listing(http, pending.pop(0)):
            fid = str(item["id"])
            if fid in excluded:
                continue
            label = labels.get(fid) or str(item.get("displayName") or fid)
            found.append(Folder(fid, label))
            children = item.get("childFolderCount")
            if isinstance(children, int) and children > 0:
                pending.append(folder_path(http, fid) + "/childFolders")
    return found
