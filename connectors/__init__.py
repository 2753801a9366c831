"""Connectors: every source of mail and calendar metadata, behind one interface and one registry.

The rooms: :mod:`connectors.google`, :mod:`connectors.microsoft`, :mod:`connectors.imap` and
:mod:`connectors.local` (mbox, maildir and .ics files), one per provider; beside them the
shared pieces: the interface and vocabulary (:mod:`.base`), the error tree (:mod:`.errors`),
the one retry policy (:mod:`.retry`), the account settings (:mod:`.settings`), the password
reader (:mod:`.secrets`) and the atomic writer (:mod:`.files`).

What ``daemon`` calls is re-exported here from :mod:`connectors.registry`: ``build``,
``authorize``, ``check_login``, ``send``, ``granted_scopes``, ``token_path``, ``no_sign_in``
and ``key_problem`` for one account, ``signs_in`` and ``send_kind`` to ask what a kind or a
delivery method offers.
``connectors`` never imports ``daemon``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["CONNECTORS", "authorize", "build", "check_login", "granted_scopes", "key_problem",
           "no_sign_in", "send", "send_kind", "signs_in", "token_path"]

if TYPE_CHECKING:
    from connectors.registry import (
        CONNECTORS,
        authorize,
        build,
        check_login,
        granted_scopes,
        key_problem,
        no_sign_in,
        send,
        send_kind,
        signs_in,
        token_path,
    )


def __getattr__(name: str) -> Any:
    """Load the registry (and with it the settings models) on first use, so that importing a
    light piece such as :mod:`connectors.errors` or :mod:`connectors.files` stays light."""
    if name in __all__:
        from connectors import registry

        return getattr(registry, name)
    raise AttributeError(f"module 'connectors' has no attribute {name!r}")
