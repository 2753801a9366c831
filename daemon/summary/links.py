"""Links from the summary to the last conversation, in the user's own web mail.

A link is built from what the store already keeps, the provider's id of the newest message
(the item's source id under a Gmail or Outlook account), and the account's settings; nothing
new is stored and nothing is fetched. It opens the provider's own web mail, signed in as the
user: no tracking, no server of ours. Archives, IMAP and calendars get no link: a file or an
IMAP UID names nothing a browser can open.

- Gmail: ``https://mail.google.com/mail/u/<address>/#all/<message id>`` opens the message in
  its conversation (the thread), in the account the address names (``u/0``, the first
  signed-in account, when the config does not give the address). The message id, not the
  stored thread key, because several accounts can hold one item and the thread key is
  whichever account wrote it last.
- Outlook: ``https://outlook.office.com/mail/inbox/id/<message id>`` (``outlook.live.com/mail/0``
  for a personal account, the cloud's own host for the US government and China clouds). Graph's
  ``webLink`` is not used: with the immutable ids Keepwarm asks for it points at an id Outlook
  on the web does not open, and it would be one more column to store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote

from sqlalchemy.orm import Session

from connectors.settings import GoogleAccount, MicrosoftAccount
from daemon.config import Config
from daemon.store.latest import HeldItem, latest_by_contact, latest_by_thread

LINKABLE = ("google", "microsoft")
_GMAIL_ID = re.compile(r"[0-9a-f]{1,32}")  # Gmail ids are hex; anything else was not given by it
# Outlook on the web per Graph cloud (learn.microsoft.com/graph/deployments)
OUTLOOK_HOSTS = {"global": "https://outlook.office.com/mail",
                 "usgov": "https://outlook.office365.us/mail",
                 "usgov-dod": "https://outlook-dod.office365.us/mail",
                 "china": "https://partner.outlook.cn/mail"}
OUTLOOK_PERSONAL = "https://outlook.live.com/mail/0"
_CONSUMER_TENANTS = {"consumers", "9188040d-6c67-4c5b-b112-36a304b66dad"}
_CONSUMER_DOMAIN = re.compile(r"(outlook|hotmail|live)\.[a-z.]+|msn\.com|passport\.com")


def gmail_link(message_id: str, address: str | None) -> str | None:
    """The Gmail web link to ``message_id``'s conversation; None for an id Gmail never gave."""
    if not _GMAIL_ID.fullmatch(message_id):
        return None
    user = quote(address, safe="@") if address else "0"
    return f"https://mail.google.com/mail/u/{user}/#all/{message_id}"


def outlook_link(message_id: str, account: MicrosoftAccount | None) -> str | None:
    """The Outlook on the web link to ``message_id``; None for an id cut to fit the store."""
    if not message_id or "#" in message_id:  # daemon.sync.fitting marks a cut id with '#'
        return None
    base = OUTLOOK_HOSTS["global"]
    if account is not None:
        base = OUTLOOK_PERSONAL if _personal(account) else OUTLOOK_HOSTS[account.cloud]
    return f"{base}/inbox/id/{quote(message_id, safe='')}"


def _personal(account: MicrosoftAccount) -> bool:
    """A Microsoft account (outlook.com, hotmail ...) rather than a work or school one."""
    if account.cloud != "global":
        return False
    domain = (account.address or "").rpartition("@")[2].lower()
    return (account.tenant.lower() in _CONSUMER_TENANTS
            or bool(domain and _CONSUMER_DOMAIN.fullmatch(domain)))


def link_for(item: HeldItem, config: Config) -> str | None:
    """The web link to ``item`` under the account that holds it, or None."""
    settings = next((a for a in config.accounts if a.name == item.account), None)
    if item.kind == "google":
        address = settings.address if isinstance(settings, GoogleAccount) else None
        return gmail_link(item.source_id, address)
    if item.kind == "microsoft":
        return outlook_link(item.source_id,
                            settings if isinstance(settings, MicrosoftAccount) else None)
    return None


def contact_links(session: Session, config: Config, as_of: datetime,
                  people: Sequence[tuple[str, Iterable[str]]], *, member: int
                  ) -> dict[str, str]:
    """person key -> link to ``member``'s newest email with any of the person's addresses."""
    wanted = {a for _, addresses in people for a in addresses}
    held = latest_by_contact(session, wanted, as_of, LINKABLE, member)
    out = {}
    for key, addresses in people:
        found = [held[a] for a in addresses if a in held]
        if found:
            newest = max(found, key=lambda h: (h.at, h.account, h.source_id))
            link = link_for(newest, config)
            if link:
                out[key] = link
    return out


def thread_links(session: Session, config: Config, as_of: datetime,
                 thread_keys: Iterable[str], *, member: int) -> dict[str, str]:
    """thread key -> link to the thread's newest email of ``member`` (an id)."""
    held = latest_by_thread(session, set(thread_keys), as_of, LINKABLE, member)
    links = {key: link_for(item, config) for key, item in held.items()}
    return {key: link for key, link in links.items() if link}
