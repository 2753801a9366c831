"""Organisation-wide sign-in (``auth = "organisation"``): a Google Workspace service account with
domain-wide delegation acts for one member, ``address``, with the same least-privilege scopes.

There is no token file and no browser: each access token comes from the token endpoint's
JWT-bearer grant, signed with the service account's key (``service_account_file``) and naming
the member as ``sub``. A Workspace admin grants the delegation once, for the service account's
client ID and exactly these scopes, in Admin console > Security > Access and data control >
API controls > Domain-wide delegation. When the token endpoint refuses the grant, the
:class:`~connectors.errors.AuthExpired` raised here says which client ID and which scopes to
allow there, or which member is not an active user, so an admin can act on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.auth.exceptions import RefreshError

from connectors.base import Env
from connectors.errors import AuthExpired
from connectors.files import read_json
from connectors.google.auth import SCOPE_ROOT, TokenStore, scopes
from connectors.google.credentials import DelegatedCredentials
from connectors.settings import GoogleAccount

DELEGATION_PAGE = ("Admin console > Security > Access and data control > API controls > "
                   "Domain-wide delegation")


def delegated(account: GoogleAccount) -> bool:
    """Whether the account signs in through its organisation's service account."""
    return account.auth == "organisation"


def no_sign_in(account: GoogleAccount) -> str | None:
    """Why ``keepwarm auth`` has nothing to do for this account (None: it needs a sign-in)."""
    if not delegated(account):
        return None
    return (f"no sign-in needed: the organisation's service account "
            f"({account.service_account_file}) acts for {account.address} through domain-wide "
            f"delegation, with scopes {', '.join(short(scopes(account)))}. A Workspace admin "
            f"allows its client ID for those scopes in {DELEGATION_PAGE}; then run: "
            f"keepwarm sync {account.name}")


def short(names: list[str]) -> list[str]:
    """Scope names without Google's URL root (``gmail.metadata``)."""
    return [s.removeprefix(SCOPE_ROOT) for s in names]


def key_problem(path: Path) -> str | None:
    """What is wrong with a service-account key file, with its fix; None: it looks like one."""
    if not path.is_file():
        return (f"service account key {path} does not exist: download a JSON key of the "
                "service account (Google Cloud console > IAM & Admin > Service accounts > "
                f"Keys > Add key) and save it there, then chmod 600 {path}")
    data = read_json(path)
    if data is None or data.get("type") != "service_account":
        return (f"{path} is not a service account's JSON key (\"type\" must be "
                '"service_account"): download a JSON key of the service account, not an '
                "OAuth client file")
    missing = [k for k in ("client_email", "client_id", "private_key") if not data.get(k)]
    if missing:
        return f"{path} lacks {', '.join(missing)}: download a fresh JSON key"
    return None


class DelegatedTokens:
    """The service account's credentials for one member; the :class:`TokenStore` interface,
    but nothing is ever written: the key file is the only secret and access tokens stay in
    memory."""

    def __init__(self, account: GoogleAccount) -> None:
        if account.service_account_file is None or not account.address:  # settings refuse it
            raise AuthExpired(f"account {account.name!r} names no service_account_file or "
                              "address", hint='set both for auth = "organisation"')
        self.account = account
        self.path = account.service_account_file.expanduser()

    def load(self) -> DelegatedCredentials:
        """Credentials acting for ``address`` (the account's ``token_uri`` when set)."""
        try:
            creds = DelegatedCredentials.from_service_account_file(
                str(self.path), scopes=scopes(self.account), subject=self.account.address)
        except (OSError, ValueError, KeyError) as exc:
            raise AuthExpired(
                f"account {self.account.name!r}: cannot read the service account key "
                f"({type(exc).__name__})", hint=key_problem(self.path) or
                f"check {self.path} is the service account's JSON key") from None
        if self.account.token_uri:
            creds = creds.with_token_uri(self.account.token_uri)
        return creds

    def save_if_refreshed(self, creds: Any) -> None:
        """Nothing to keep: the next run signs a new grant with the key."""

    def refused(self, exc: RefreshError) -> AuthExpired:
        """Translate a refused JWT grant into what a Workspace admin can fix; never retried."""
        data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
        first = str(exc.args[0]) if exc.args else ""
        code = str(data.get("error") or first.split(":", 1)[0].strip() or "refused")
        detail = str(data.get("error_description") or "")
        who, name = self.account.address, self.account.name
        if code == "invalid_grant" and "signature" in detail.lower():
            return AuthExpired(
                f"Google refused the service account key of account {name!r} ({code}: "
                f"{detail})", hint=f"the key in {self.path} was deleted or disabled: add a new "
                "JSON key (Google Cloud console > IAM & Admin > Service accounts > Keys), save "
                f"it as {self.path} and chmod 600 {self.path}")
        if code == "invalid_grant":
            return AuthExpired(
                f"Google refused to act for {who} ({code}{': ' + detail if detail else ''})",
                hint=f"{who} must be an active user of the Workspace domain: check it in Admin "
                     "console > Directory > Users (not suspended, not deleted, spelled as "
                     f"`address` of account {name}). " + self.delegation_hint())
        return AuthExpired(
            f"the Workspace has not delegated these scopes to the service account for {who} "
            f"({code})", hint=self.delegation_hint())

    def delegation_hint(self) -> str:
        """Which client ID and scopes a Workspace admin allows, and where."""
        info = read_json(self.path) or {}
        client = info.get("client_id") or f"of the service account in {self.path}"
        return (f"A Workspace super admin opens {DELEGATION_PAGE} and allows client ID "
                f"{client} with exactly these OAuth scopes: {','.join(scopes(self.account))}; "
                f"a change can take some minutes to apply, then run keepwarm sync "
                f"{self.account.name}")


def tokens_for(account: GoogleAccount, env: Env) -> TokenStore | DelegatedTokens:
    """Where an account's credentials come from: its token file, or the service account."""
    return DelegatedTokens(account) if delegated(account) else TokenStore(account, env)
