"""The words the store keeps in its text columns, each vocabulary defined once.

Members are the strings themselves (``Direction.INBOUND == "inbound"``, ``str()`` and JSON give
the bare word), so the database, the templates and ``report --format json`` see plain text.

    Channel        items.channel, touchpoints.channel
    Direction      touchpoints.direction (member order is the frame's integer code: 0, 1, 2)
    AccountStatus  accounts.status (``stale`` and ``never`` are judged by readers, not stored)
    DeliveryStatus sent_summaries.status
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    MEETING = "meeting"


class Direction(StrEnum):
    """Who spoke: the user (outbound), the counterpart (inbound), both at a meeting (mutual)."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"
    MUTUAL = "mutual"


class AccountStatus(StrEnum):
    """An account's sync state. The engine stores ``ok``, ``needs_reauth``, ``error`` and
    ``refused`` (an organisation's access policy leaves the mailbox out: only the
    administrator fixes it); a reader of the health (the summary) also says ``stale`` (no good
    sync for days), ``never`` (none yet), and ``refused`` for ``needs_reauth`` of an account
    on organisation credentials (no sign-in of the member's fixes it either)."""

    OK = "ok"
    NEEDS_REAUTH = "needs_reauth"
    ERROR = "error"
    STALE = "stale"
    NEVER = "never"
    REFUSED = "refused"


class DeliveryStatus(StrEnum):
    r"""A week's summary in the ledger::

        (no row) --claim--> sending --delivered--> sent
                               |  \--transient error--> retrying --next attempt due--> sending
                               \--permanent error--> failed (no more automatic attempts)

    ``sending`` left behind by a crash means the outcome is unknown: never resent silently."""

    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"
