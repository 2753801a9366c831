"""Local mail archives (kinds ``maildir`` and ``mbox``): build their one mail source each.

The readers live in :mod:`connectors.local.maildir` and :mod:`connectors.local.mbox`; header
blocks become records in :mod:`connectors.local.headers`. Headers only: no body is ever parsed.
"""

from __future__ import annotations

from connectors.base import Env, Source
from connectors.local.common import check_path
from connectors.local.maildir import MaildirSource
from connectors.local.mbox import MboxSource
from connectors.settings import MaildirAccount, MboxAccount


def build(account: MaildirAccount | MboxAccount, env: Env) -> list[Source]:
    """The mail source of a maildir or mbox account; BadArchive if its path is missing."""
    root = check_path(account.path, account.name, account.kind)
    key = f"{account.name}/mail"
    if account.kind == "maildir":
        return [MaildirSource(key, root, account.name)]
    return [MboxSource(key, root, account.name)]
