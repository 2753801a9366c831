"""Trust a private CA: the one way every TLS client of Keepwarm (IMAP, CalDAV, the SMTP
delivery) turns a configured ``ca_file`` into the context it verifies servers with."""

from __future__ import annotations

import ssl
from pathlib import Path

from connectors.errors import ConnectorError


def private_ca(ca_file: Path, setting: str) -> ssl.SSLContext:
    """A context that trusts only the PEM certificate(s) in ``ca_file``. A file that cannot be
    used is one :class:`ConnectorError` naming ``setting`` (the key, as the user wrote it)."""
    path = ca_file.expanduser()
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise ConnectorError(f"cannot use {setting} {path}: "
                             f"{getattr(exc, 'strerror', None) or type(exc).__name__}",
                             hint=f"point {setting} at a PEM file of the CA") from None
