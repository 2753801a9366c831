"""Local mail archives (kinds ``maildir`` and ``mbox``): build their one mail source each.

The readers live in :mod:`connectors.maildir` and :mod:`connectors.mbox`; header blocks become
records in :mod:`connectors._headers`. Headers only: no body is ever parsed.
"""

from __future__ import annotations

from connectors._local import check_path
from connectors.base import Env, Source
from connectors.maildir import MaildirSource
from connectors.mbox import MboxSource
from connectors.settings import MaildirAccount, MboxAccount


def build(account: MaildirAccount | MboxAccount, env: Env) -> list[Source]:
    """The mail source of a maildir or mbox account; BadArchive if its path is missing."""
    root = check_path(account.path, account.name, account.kind)
    key = f"{account.name}/mail"
    if account.kind == "maildir":
        return [MaildirSource(key, root, account.name)]
    return [MboxSource(key, root, account.name)]
