"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives and answers DATA
with scripted replies first (``450 ...``, ``550 ...``), optionally offering STARTTLS."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller


class Inbox:
    """aiosmtpd handler: keeps each envelope; answers with ``replies`` first when given
    (``always``: answer every DATA with it)."""

    def __init__(self, replies: list[str] | None = None, always: str | None = None) -> None:
        self.envelopes: list[Any] = []
        self.replies = list(replies or [])
        self.always = always
        self.tries = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.tries += 1
        if self.always:
            return self.always
        if self.replies:
            return self.replies.pop(0)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(inbox: Inbox, tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """Run ``inbox`` on a free port (with STARTTLS required when ``tls``); yields the port."""
    port = free_port()
    extra: dict[str, Any] = {"tls_context": tls, "require_starttls": True} if tls else {}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **extra)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
