"""Read one password from the single source an account configures: an environment variable,
a file only its owner can read (0600), or the system keyring (service ``keepwarm``).

Shared by the connectors that log in with a password (IMAP, CalDAV) and by the SMTP delivery
(``daemon.summary.smtp``, which turns the failure into its own error). It raises
:class:`MissingSecret`, an :class:`~connectors.errors.AuthExpired`: a missing or unsafe
password is never retried, the account waits for the fix the hint names. The password itself
is never put into a message.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from connectors.errors import AuthExpired

KEYRING_SERVICE = "keepwarm"


class MissingSecret(AuthExpired):
    """The configured password source gave nothing usable (unset, loose file, no keyring)."""


def read_password(*, setting: str, user: str, env: str | None = None,
                  file: Path | None = None, keyring: bool = False) -> str:
    """The password from the one source configured.

    ``setting`` names the settings block for hints (``accounts "work"``); ``user`` is the
    login, the keyring's user name. Raises :class:`MissingSecret` when no source is
    configured or the configured one gives nothing.
    """
    if env:
        value = os.environ.get(env)
        if not value:
            raise MissingSecret(f"environment variable {env} is not set",
                                hint=f"set {env} in the service's environment "
                                     "(systemctl --user edit keepwarm)")
        return value
    if file is not None:
        return _from_file(file.expanduser(), setting)
    if keyring:
        return _from_keyring(user)
    raise MissingSecret(f"{setting} names no password source",
                        hint="set password_env, password_file or password_keyring = true")


def _from_file(path: Path, setting: str) -> str:
    """The first line of a file nobody but its owner can read."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise MissingSecret(f"password file {path} is readable by others "
                                f"(mode {mode:04o}); refusing to use it",
                                hint=f"chmod 600 {path}")
        value = path.read_text(encoding="utf-8").strip("\r\n")
    except OSError as exc:
        raise MissingSecret(f"cannot read password file {path}: {exc.strerror}",
                            hint=f"check password_file of {setting}") from None
    if not value:
        raise MissingSecret(f"password file {path} is empty", hint=f"write the password "
                                                                  f"into {path}")
    return value


def _from_keyring(user: str) -> str:
    """The keyring's password for ``(keepwarm, user)``."""
    try:
        import keyring

        value = keyring.get_password(KEYRING_SERVICE, user)
    except Exception as exc:  # no backend, locked collection, D-Bus unavailable
        raise MissingSecret(f"keyring unavailable: {type(exc).__name__}",
                            hint="unlock the keyring or use password_file") from None
    if not value:
        raise MissingSecret(f"no password in the keyring for service {KEYRING_SERVICE!r} "
                            f"user {user!r}", hint=f"keyring set {KEYRING_SERVICE} {user}")
    return value
