"""The summary as an email: ``multipart/alternative`` (text, then HTML) with a deterministic
Message-ID, so that a re-sent copy of one summary deduplicates in mail clients."""

from __future__ import annotations

import hashlib
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime

from daemon.summary.content import Summary
from daemon.summary.render import render_html, render_text


def message_id(summary: Summary) -> str:
    """Deterministic per recipient and as-of: a re-sent copy of one summary dedupes."""
    digest = hashlib.blake2b(f"{summary.to}|{summary.as_of.isoformat()}".encode(),
                             digest_size=8).hexdigest()
    domain = summary.sender.rpartition("@")[2] or "localhost"
    return f"<keepwarm.{summary.week}.{digest}@{domain}>"


def summary_message(summary: Summary) -> EmailMessage:
    """The summary as a ``multipart/alternative`` message: plain text first, then HTML."""
    msg = EmailMessage()
    msg["Subject"] = summary.subject
    msg["From"] = f"Keepwarm <{summary.sender}>"
    msg["To"] = summary.to
    msg["Date"] = format_datetime(summary.as_of.astimezone(UTC))
    msg["Message-ID"] = message_id(summary)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
    msg.set_content(render_text(summary), cte="quoted-printable")
    msg.add_alternative(render_html(summary), subtype="html", cte="quoted-printable")
    return msg
