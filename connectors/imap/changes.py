"""What changed in one opened folder since the cursor last read it: which of the UIDs it holds
are gone, and which UIDs to fetch (new mail, or a message whose ``\\Draft`` flag changed).

Three ways, the best the server offers (RFC 7162):

- **QRESYNC**: one ``UID FETCH 1:* (FLAGS) (CHANGEDSINCE m VANISHED)`` after ``ENABLE QRESYNC``:
  the server names the messages changed or added since mod-sequence ``m`` and, in
  ``VANISHED (EARLIER)``, the UIDs expunged since; nothing is listed.
- **CONDSTORE**: the same FETCH without ``VANISHED`` for flag changes, and ``UID SEARCH ALL``
  for expunges and new mail.
- **neither**, or no mod-sequence in the cursor yet: ``UID SEARCH ALL`` only; a change of flags
  alone goes unseen (the folder's UIDNEXT and count did not move).

The modifiers are sent through IMAPClient's raw command, because its ``fetch`` wants a list of
ids where RFC 7162 wants ``1:*``; the answer is parsed by IMAPClient's own parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from imapclient import IMAPClient
from imapclient.response_parser import parse_fetch_response

from connectors.imap.cursor import FolderState, unpack
from connectors.imap.records import is_draft

QRESYNC, CONDSTORE, PLAIN = "qresync", "condstore", "plain"


@dataclass
class Changes:
    """UIDs the cursor holds that are gone, and UIDs to fetch (ascending)."""

    gone: set[int] = field(default_factory=set)
    fetch: list[int] = field(default_factory=list)


def mode(client: IMAPClient) -> str:
    """The best way this server offers, enabling QRESYNC when it is offered (before any
    folder is opened, as RFC 7162 asks)."""
    if client.has_capability("QRESYNC") and b"QRESYNC" in client.enable("QRESYNC"):
        return QRESYNC
    return CONDSTORE if client.has_capability("CONDSTORE") else PLAIN


def listing(client: IMAPClient, known: FolderState) -> Changes:
    """The changes against ``known`` by listing every UID of the folder (``UID SEARCH ALL``)."""
    current = set(client.search("ALL"))
    return Changes(known.uids - current, sorted(current - known.uids))


def since(client: IMAPClient, known: FolderState, how: str) -> Changes:
    """The changes since ``known.modseq`` (which must be set), by QRESYNC or CONDSTORE."""
    client._imap.untagged_responses.pop("VANISHED", None)  # stale ones from another folder
    modifiers = f"(CHANGEDSINCE {known.modseq}{' VANISHED' if how == QRESYNC else ''})"
    data = client._raw_command_untagged(b"FETCH", [b"1:*", b"(FLAGS)", modifiers.encode()])
    changed: dict[int, dict[bytes, Any]] = parse_fetch_response(data, False, True)
    if how == QRESYNC:
        vanished: set[int] = set()
        for line in client._imap.untagged_responses.pop("VANISHED", []):
            vanished |= unpack(line.decode("ascii").removeprefix("(EARLIER)").strip())
        changes = Changes(known.uids & vanished,
                          sorted(u for u in changed if u not in known.uids and u not in vanished))
    else:
        changes = listing(client, known)
    changes.fetch = sorted(set(changes.fetch) | _redrafted(changed, known))
    return changes


def _redrafted(changed: dict[int, dict[bytes, Any]], known: FolderState) -> set[int]:
    """Held messages whose ``\\Draft`` flag is not what the store has: read them again."""
    out = set()
    for uid, data in changed.items():
        if uid in known.uids and is_draft(data) != (uid in known.drafts):
            out.add(uid)
    return out
