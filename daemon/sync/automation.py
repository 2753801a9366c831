"""Tell automated mail from people: header signals, Gmail categories, role-style senders.

List traffic is kept apart: a human posting to a discussion list carries ``List-Id`` and often
``List-Unsubscribe`` and ``Precedence: bulk`` too, so those mean "one-to-many", not "robot".
"""

from __future__ import annotations

import re

from connectors.base import MessageRecord

CATEGORIES = {"category_promotions", "category_social", "category_updates", "category_forums",
              "inference:other"}
_ROLE = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|notifications?|notify|alerts?|"
    r"mailer[-_.]?daemon|postmaster|bounces?|bounce[-+].*|newsletters?|news|marketing|"
    r"info|support|billing|invoices?|receipts?|updates?|digest|automated|auto[-_.]?confirm|"
    r"system|admin|calendar-notification|.*[-_.]no[-_.]?reply)$"
)


def is_automated_sender(address: str) -> bool:
    """A noreply-style or role sender (``no-reply@``, ``notifications@``, ``billing@``...)."""
    local = address.rpartition("@")[0]
    return bool(_ROLE.match(local)) or "noreply" in local


def is_bulk(rec: MessageRecord, labels: set[str], listed: bool) -> bool:
    """Machine-sent by its headers or labels. List traffic alone is not bulk."""
    auto = (rec.auto_submitted or "").strip().lower()
    if auto and auto != "no":
        return True
    if labels & CATEGORIES:
        return True
    if listed:  # List-Unsubscribe and Precedence: bulk ride on human list posts too
        return False
    precedence = (rec.precedence or "").strip().lower()
    return rec.list_unsubscribe or precedence in {"bulk", "junk"}
