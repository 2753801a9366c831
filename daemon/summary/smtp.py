"""Send one message over SMTP (STARTTLS, implicit TLS or plain), with the password from an
environment variable, a 0600 file, or the system keyring. The password is never logged."""

from __future__ import annotations

import os
import smtplib
import ssl
import stat
from email.message import EmailMessage
from email.utils import getaddresses

from daemon.config import DeliverySettings
from daemon.errors import DeliveryError

KEYRING_SERVICE = "keepwarm"
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
TIMEOUT = 30.0


def password(settings: DeliverySettings) -> str | None:
    """The SMTP password from the one source configured; None when no login is configured."""
    if settings.password_env:
        value = os.environ.get(settings.password_env)
        if not value:
            raise DeliveryError(f"environment variable {settings.password_env} is not set",
                                hint="set it in the service's environment "
                                     "(systemctl --user edit keepwarm)")
        return value
    if settings.password_file:
        return _read_secret_file(settings)
    if settings.password_keyring:
        return _from_keyring(settings)
    return None


def _read_secret_file(settings: DeliverySettings) -> str:
    assert settings.password_file is not None
    path = settings.password_file.expanduser()
    try:
        st = path.stat()
        if stat.S_IMODE(st.st_mode) & 0o077:
            raise DeliveryError(
                f"password file {path} is readable by others "
                f"(mode {stat.S_IMODE(st.st_mode):04o}); refusing to use it",
                hint=f"chmod 600 {path}")
        return path.read_text(encoding="utf-8").strip("\r\n")
    except OSError as exc:
        raise DeliveryError(f"cannot read password file {path}: {exc.strerror}",
                            hint="check delivery.password_file") from None


def _from_keyring(settings: DeliverySettings) -> str:
    user = settings.user or ""
    try:
        import keyring

        value = keyring.get_password(KEYRING_SERVICE, user)
    except Exception as exc:  # no backend, locked collection, D-Bus unavailable
        raise DeliveryError(f"keyring unavailable: {type(exc).__name__}",
                            hint="unlock the keyring or use password_file") from None
    if not value:
        raise DeliveryError(f"no password in the keyring for service {KEYRING_SERVICE!r} "
                            f"user {user!r}", hint=f"keyring set {KEYRING_SERVICE} {user}")
    return value


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
    path = settings.ca_file.expanduser()
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"cannot use delivery.ca_file {path}: "
                            f"{getattr(exc, 'strerror', None) or type(exc).__name__}",
                            hint="point delivery.ca_file at a PEM file of the CA") from None


def check_password_source(settings: DeliverySettings) -> str | None:
    """A problem with the configured password source, for ``keepwarm doctor`` (None: fine)."""
    if not settings.user:
        return None
    try:
        password(settings)
    except DeliveryError as exc:
        return f"{exc} ({exc.hint})" if exc.hint else str(exc)
    return None

