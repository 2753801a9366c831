"""Validated settings of each account kind (pydantic), kept beside the connectors that use them.

``daemon.config`` composes these into the ``[[accounts]]`` union discriminated on ``kind``.
This module imports no client library, so validating a config stays cheap.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


class _Account(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    enabled: bool = True

    @property
    def own_address(self) -> str | None:
        """The mailbox's own address when the settings name one (it joins ``[me]``)."""
        return None


class MaildirAccount(_Account):
    """A maildir tree, or any tree of folders of RFC 822 files, read recursively."""

    kind: Literal["maildir"]
    path: Path


class MboxAccount(_Account):
    """One mbox file, or a folder of them (e.g. a Google Takeout export)."""

    kind: Literal["mbox"]
    path: Path


class IcsAccount(_Account):
    """One .ics file, or a folder of them."""

    kind: Literal["ics"]
    path: Path
    upcoming_days: Annotated[int, Field(ge=0, le=365)] = 60


class CalDavAccount(_Account):
    """The calendars of a CalDAV server (Fastmail, iCloud, Nextcloud, Radicale ...)."""

    kind: Literal["caldav"]
    url: str
    username: str
    password_env: str | None = None
    password_file: Path | None = None
    password_keyring: bool = False
    calendars: tuple[str, ...] = ()
    ca_file: Path | None = None
    upcoming_days: Annotated[int, Field(ge=0, le=365)] = 60

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        """A bare host (``caldav.icloud.com``) means https; discovery starts there."""
        value = value.strip()
        if not re.match(r"(?i)https?://", value):
            value = "https://" + value
        if not re.match(r"(?i)https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not a server URL, e.g. 'https://caldav.fastmail.com'")
        return value

    @model_validator(mode="after")
    def _one_password(self) -> CalDavAccount:
        """Exactly one password source, so which one is used is never a guess."""
        given = [k for k in ("password_env", "password_file", "password_keyring")
                 if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("set exactly one of password_env, password_file or "
                             f"password_keyring = true (found {len(given)})")
        return self


class GoogleAccount(_Account):
    """Gmail and Google Calendar through one OAuth sign-in (``auth = "user"``), or through a
    Workspace service account with domain-wide delegation impersonating ``address``
    (``auth = "organisation"``: no sign-in in a browser)."""

    kind: Literal["google"]
    auth: Literal["user", "organisation"] = "user"
    client_secrets: Path | None = None
    service_account_file: Path | None = None
    address: str | None = None
    lookback_days: Annotated[int, Field(ge=1)] = 3 * 365
    calendars: tuple[str, ...] = ("primary",)
    mail: bool = True
    calendar: bool = True
    quota_per_minute: Annotated[int, Field(ge=1)] = 6000
    api_endpoint: str | None = None
    token_uri: str | None = None
    send: bool = False
    quota_costs: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    auth_port: Annotated[int, Field(ge=0, le=65535)] = 8765
    upcoming_days: Annotated[int, Field(ge=0, le=365)] = 60

    @model_validator(mode="after")
    def _credentials(self) -> GoogleAccount:
        """Each way of signing in names what it needs; the delegation subject is ``address``."""
        if self.auth == "user" and self.client_secrets is None:
            raise ValueError('auth = "user" needs client_secrets (your OAuth client file)')
        if self.auth == "organisation":
            missing = [k for k in ("service_account_file", "address") if not getattr(self, k)]
            if missing:
                raise ValueError(f'auth = "organisation" needs {" and ".join(missing)} (the '
                                 "service account's key file and the mailbox it acts for)")
        return self

    @property
    def own_address(self) -> str | None:
        return self.address


class MicrosoftAccount(_Account):
    """Outlook mail and calendar through Microsoft Graph with one MSAL sign-in."""

    kind: Literal["microsoft"]
    client_id: str
    tenant: str = "common"
    address: str | None = None
    cloud: Literal["global", "usgov", "usgov-dod", "china"] = "global"
    authority: str | None = None
    graph_endpoint: str | None = None
    lookback_days: Annotated[int, Field(ge=1)] = 3 * 365
    mail: bool = True
    calendar: bool = True
    send: bool = False

    @field_validator("graph_endpoint")
    @classmethod
    def _graph_root(cls, value: str | None) -> str | None:
        return None if value is None else graph_root_of(value)

    @property
    def own_address(self) -> str | None:
        return self.address


class ImapAccount(_Account):
    """Any IMAP mailbox, read with a password (an app password where the provider wants one).

    ``security``: ``tls`` (implicit TLS, port 993), ``starttls`` (port 143), or ``none``, which
    is accepted only for a loopback host (a local bridge such as Proton's). ``folders``: the
    folders to read (default: all but Trash, Junk, Drafts); ``exclude_folders`` drops more.
    """

    kind: Literal["imap"]
    host: str
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    security: Literal["tls", "starttls", "none"] = "tls"
    username: str
    address: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    password_keyring: bool = False
    folders: tuple[str, ...] | None = None
    exclude_folders: tuple[str, ...] = ()
    ca_file: Path | None = None

    @model_validator(mode="after")
    def _safe(self) -> ImapAccount:
        sources = [bool(self.password_env), self.password_file is not None,
                   self.password_keyring]
        if sum(sources) != 1:
            raise ValueError("set exactly one of password_env, password_file, "
                             "password_keyring = true")
        if self.security == "none" and self.host not in LOOPBACK:
            raise ValueError(f'security = "none" sends the password in clear: allowed only '
                             f'for a loopback host ({", ".join(sorted(LOOPBACK))}); use "tls" '
                             'or "starttls"')
        return self

    @property
    def effective_port(self) -> int:
        """The port to connect to: the one set, else 993 for TLS and 143 otherwise."""
        return self.port or (993 if self.security == "tls" else 143)

    @property
    def own_address(self) -> str | None:
        return self.address or (self.username if "@" in self.username else None)


def graph_root_of(url: str) -> str:
    """A ``graph_endpoint`` as Keepwarm uses it: the root that ``/v1.0`` is added to.

    The URL Microsoft's docs show (``https://graph.microsoft.com/v1.0``) and trailing slashes
    are accepted and dropped: their meaning is plain, and keeping them sent every request to
    ``/v1.0/v1.0``. Another API version, or no scheme, is refused: Keepwarm speaks v1.0 only.
    """
    root = re.sub(r"(?i)/+v1\.0/*$", "", url.strip()).rstrip("/")
    if not re.match(r"(?i)https?://[^/]", root):
        raise ValueError(f"{url!r} is not a URL; write the Graph root, e.g. "
                         "'https://graph.microsoft.com'")
    if re.search(r"(?i)/(beta|v\d+(\.\d+)?)$", root):
        raise ValueError(f"{url!r} names another Graph version; write the root without it "
                         "(Keepwarm adds /v1.0), e.g. 'https://graph.microsoft.com'")
    return root


AccountSettings = Annotated[
    Union[MaildirAccount, MboxAccount, IcsAccount, GoogleAccount, MicrosoftAccount,
          ImapAccount, CalDavAccount],
    Field(discriminator="kind"),
]
ACCOUNT_KINDS = ("google", "microsoft", "maildir", "mbox", "ics", "imap", "caldav")
