"""Send one message over SMTP (STARTTLS, implicit TLS or plain), with the password from an
environment variable, a 0600 file, or the system keyring. The password is never logged."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import getaddresses

from connectors.errors import ConnectorError
from connectors.secrets import MissingSecret, read_password
from connectors.tls import private_ca
from daemon.config import DeliverySettings
from daemon.errors import DeliveryError

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
TIMEOUT = 30.0


def password(settings: DeliverySettings) -> str | None:
    """The SMTP password from the one source configured; None when no login is configured.
    Read as the connectors read theirs (:mod:`connectors.secrets`), failing as a
    :class:`DeliveryError` that names the fix."""
    if not (settings.password_env or settings.password_file or settings.password_keyring):
        return None
    try:
        return read_password(setting="[delivery]", user=settings.user or "",
                             env=settings.password_env, file=settings.password_file,
                             keyring=settings.password_keyring)
    except MissingSecret as exc:
        raise DeliveryError(str(exc), hint=exc.hint) from None


def send_smtp(message: EmailMessage, settings: DeliverySettings,
              context: ssl.SSLContext | None = None) -> None:
    """Send ``message`` to ``settings.to`` through ``settings.host``; smtplib errors propagate."""
    assert settings.host is not None and settings.to is not None
    secret = password(settings) if settings.user else None
    if secret is not None and settings.security == "none" and settings.host not in LOOPBACK:
        raise DeliveryError("refusing to send the SMTP password unencrypted",
                            hint='set delivery.security = "starttls" or "tls"')
    context = context or tls_context(settings)
    client: smtplib.SMTP
    if settings.security == "tls":
        client = smtplib.SMTP_SSL(settings.host, settings.smtp_port, timeout=TIMEOUT,
                                  context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.smtp_port, timeout=TIMEOUT)
    with client:
        client.ehlo()
        if settings.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if settings.user and secret is not None:
            client.login(settings.user, secret)
        recipients = [addr for _, addr in getaddresses([settings.to]) if addr]
        sender = getaddresses([settings.sender or settings.to])[0][1]
        client.send_message(message, from_addr=sender, to_addrs=recipients)


def tls_context(settings: DeliverySettings) -> ssl.SSLContext:
    """The system's trusted CAs, or only ``[delivery] ca_file`` (a private CA) when set."""
    if settings.ca_file is None:
        return ssl.create_default_context()
    try:
        return private_ca(settings.ca_file, "delivery.ca_file")
    except ConnectorError as exc:
        raise DeliveryError(str(exc), hint=exc.hint) from None


def check_password_source(settings: DeliverySettings) -> str | None:
    """A problem with the configured password source, for ``keepwarm doctor`` (None: fine)."""
    if not settings.user:
        return None
    try:
        password(settings)
    except DeliveryError as exc:
        return f"{exc} ({exc.hint})" if exc.hint else str(exc)
    return None

