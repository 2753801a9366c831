"""Connectors: every source of mail and calendar metadata, behind one interface and one registry.

The rooms: :mod:`connectors.google`, :mod:`connectors.microsoft` and :mod:`connectors.local`
(mbox, maildir and .ics files), one per provider; beside them the shared pieces: the interface
and vocabulary (:mod:`.base`), the error tree (:mod:`.errors`), the one retry policy
(:mod:`.retry`), the account settings (:mod:`.settings`) and the atomic writer (:mod:`.files`).

What ``daemon`` calls is re-exported here from :mod:`connectors.registry`: ``build``,
``authorize``, ``send``, ``granted_scopes`` and ``token_path`` for one account, ``signs_in``
and ``send_kind`` to ask what a kind or a delivery method offers. ``connectors`` never imports
``daemon``.
"""

from __future__ import annotations

from connectors.registry import (
    CONNECTORS,
    authorize,
    build,
    granted_scopes,
    send,
    send_kind,
    signs_in,
    token_path,
)

__all__ = ["CONNECTORS", "authorize", "build", "granted_scopes", "send", "send_kind",
           "signs_in", "token_path"]
