"""The summary as an email: ``multipart/alternative`` (text, then HTML), and the one owner of its
From, To and Message-ID. Delivery sends the message as composed here and rewrites no header.

The Message-ID is deterministic per recipient and ISO week, so a re-sent copy of one week's
summary (after a crash between sending and the ledger row, see :mod:`daemon.summary.ledger`)
deduplicates in mail clients; an extra copy (``keepwarm send-summary --now``) gets a fresh one.
"""

from __future__ import annotations

import hashlib
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from daemon.config import Config
from daemon.summary.content import Summary
from daemon.summary.render import render_html, render_text


def recipient(config: Config) -> str:
    """To: ``[delivery] to``, else your first address, else the sender."""
    d = config.delivery
    return d.to or (config.me.addresses[0] if config.me.addresses else "") or d.sender \
        or "keepwarm@localhost"


def sender(config: Config) -> str:
    """The From address: ``[delivery] sender``, else the recipient."""
    return config.delivery.sender or recipient(config)


def message_id(summary: Summary, *, extra: bool = False) -> str:
    """The same id for every copy of one week's summary to one recipient; a fresh one for an
    ``extra`` copy."""
    domain = parseaddr(summary.sender)[1].rpartition("@")[2] or "keepwarm.invalid"
    if extra:
        return make_msgid("keepwarm", domain=domain)
    digest = hashlib.blake2b(f"{summary.to}|{summary.week}".encode(), digest_size=6).hexdigest()
    return f"<keepwarm.{summary.week}.{digest}@{domain}>"


def summary_message(summary: Summary, *, extra: bool = False) -> EmailMessage:
    """The summary as a ``multipart/alternative`` message: plain text first, then HTML.
    ``extra``: a copy besides the week's own (its own Message-ID)."""
    msg = EmailMessage()
    msg["Subject"] = summary.subject
    msg["From"] = f"Keepwarm <{summary.sender}>"
    msg["To"] = summary.to
    msg["Date"] = format_datetime(summary.as_of.astimezone(UTC))
    msg["Message-ID"] = message_id(summary, extra=extra)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
    msg.set_content(render_text(summary), cte="quoted-printable")
    msg.add_alternative(render_html(summary), subtype="html", cte="quoted-printable")
    return msg
