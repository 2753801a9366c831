"""The store's schema (SQLAlchemy 2 typed ORM). Sync state and data live in separate tables.

There is no body and no subject column anywhere, by design: ``keepwarm doctor`` checks it.

    members ──< accounts            whose data it is: every row below belongs to one member
    accounts ──< streams            sync state: status, cursor, counts, last error (and its fix)
    items ──< item_sources          one upstream item, known by each (account, source id)
    items ──< touchpoints >── contacts
    snoozes, sent_summaries         user state for the report and the scheduler
    ignores, mailed_commands        ignores added by mail; the ledger of commands carried out
    daemon_leases                   who holds which lease: the whole store (SQLite), or one
                                    account's sync, member's summary, replica's presence
    rate_buckets                    request budgets shared by replicas (Graph per app)
    column_cache, touchpoint_edits  the report's columns kept between runs, and the edits
                                    (logged by triggers, daemon.store.edits) that stale them

A member is one person of a team deployment; a single-user store has one member,
:data:`DEFAULT_MEMBER` (id 1). Items, contacts, touchpoints, snoozes, ignores, mailed commands
and sent summaries carry ``member_id``: the same message seen by two members is two items, and
nothing one member does (a snooze, an ignore) touches another's rows.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from daemon.store.sql import DEFAULT_MEMBER as DEFAULT_MEMBER
from daemon.store.sql import instant, naive_utc
from daemon.store.vocab import AccountStatus, Channel, Direction


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, naive UTC on disk (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return naive_utc(value)  # the same rule as the light path's statements (daemon.store.sql)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return instant(value)


class Words(TypeDecorator[StrEnum]):
    """A vocabulary column: plain text on disk, a member of ``words`` in Python. A word outside
    the vocabulary is refused on the way in."""

    impl = String
    cache_ok = True

    def __init__(self, words: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.words, self.length = words, length

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(self.words(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.words(value)


class Base(DeclarativeBase):
    pass


def _member() -> Mapped[int]:
    """The owning member's id (1: the single user's, which every row before teams belongs to)."""
    return mapped_column(Integer, default=1, server_default="1")


class Member(Base):
    """One person whose mailboxes a deployment syncs, known by the config's member name."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = _member()
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[AccountStatus] = mapped_column(Words(AccountStatus, 16),
                                                  default=AccountStatus.OK)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_fix: Mapped[str | None] = mapped_column(Text)  # what to do about last_error
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Stream(Base):
    """One source of one account: its opaque cursor and its counters."""

    __tablename__ = "streams"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(128), unique=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    records_seen: Mapped[int] = mapped_column(Integer, default=0)
    touchpoints_written: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[str] = mapped_column(Text, default="{}")  # JSON: reason -> count
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The full listing under way or last done (see daemon.sync.listing): its number, whether
    # it is still open, and the window of item times it covers (None: unbounded).
    listing_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    listing_open: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    listing_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    listing_end: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("member_id", "address", name="uq_contacts_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = _member()
    address: Mapped[str] = mapped_column(String(320))  # normalised, lower-case
    display_name: Mapped[str] = mapped_column(String(256), default="")
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Item(Base):
    """One message or event occurrence, however many accounts saw it."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("member_id", "identity", name="uq_items_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = _member()
    identity: Mapped[str] = mapped_column(String(512))
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[Channel] = mapped_column(Words(Channel, 8))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ItemSource(Base):
    """An account's claim on an item, under the id its stream gives it. ``listing_round`` is
    the number of the stream's last full listing that named it."""

    __tablename__ = "item_sources"
    __table_args__ = (UniqueConstraint("account_id", "source_id"),
                      Index("ix_item_sources_stream_round", "stream_id", "listing_round"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(String(512))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    stream_id: Mapped[int | None] = mapped_column(Integer)  # no key: see migration 0004
    listing_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Touchpoint(Base):
    """One interaction with one counterpart, unique per (item, counterpart): re-import is a
    no-op."""

    __tablename__ = "touchpoints"
    __table_args__ = (
        UniqueConstraint("item_id", "contact_id"),
        Index("ix_touchpoints_contact_at", "contact_id", "at"),
        Index("ix_touchpoints_thread", "thread_key", "channel", "at"),  # summary: threads
        Index("ix_touchpoints_first", "contact_id", "direction", "bulk", "listed", "group_size",
              "at"),  # summary: first contacts
        Index("ix_touchpoints_member", "member_id", "id"),  # one member's rows, in id order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = _member()
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    channel: Mapped[Channel] = mapped_column(Words(Channel, 8))
    direction: Mapped[Direction] = mapped_column(Words(Direction, 8))
    group_size: Mapped[int] = mapped_column(Integer, default=1)  # counterparts on the item
    bulk: Mapped[bool] = mapped_column(Boolean, default=False)  # automated sender
    listed: Mapped[bool] = mapped_column(Boolean, default=False)  # list traffic (List-Id)
    direct: Mapped[bool] = mapped_column(Boolean, default=True)  # user in To (not Cc/Bcc)
    thread_key: Mapped[str | None] = mapped_column(String(512))


class Snooze(Base):
    __tablename__ = "snoozes"
    __table_args__ = (UniqueConstraint("member_id", "address", name="uq_snoozes_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = _member()
    address: Mapped[str] = mapped_column(String(320))
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: until unsnoozed


class Ignore(Base):
    """An address or a whole domain left out of the report, added by a command mailed to
    yourself (the config's ``[ignore]`` stays the user's own)."""

    __tablename__ = "ignores"
    __table_args__ = (UniqueConstraint("member_id", "kind", "value", name="uq_ignores_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = _member()
    kind: Mapped[str] = mapped_column(String(8))  # address | domain
    value: Mapped[str] = mapped_column(String(320))  # normalised address, or lower-case domain
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MailedCommand(Base):
    """One command mailed to yourself and carried out, keyed by its token: a second copy or a
    re-read of the message finds the row and does nothing (see ``daemon.sync.carry``)."""

    __tablename__ = "mailed_commands"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = _member()
    token: Mapped[str] = mapped_column(String(16), unique=True)
    command: Mapped[str] = mapped_column(String(16))
    contact: Mapped[str] = mapped_column(String(320))  # the person's address the token names
    target: Mapped[str] = mapped_column(String(320))  # what was snoozed or ignored
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a snooze's end
    identity: Mapped[str] = mapped_column(String(512))  # the message that carried it
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SentSummary(Base):
    """One row per member and ISO week whose summary was attempted: the exactly-once ledger.
    The row, inserted as ``sending`` before the message leaves, is the week's claim; the
    outcome updates it (:class:`~daemon.store.vocab.DeliveryStatus`)."""

    __tablename__ = "sent_summaries"
    __table_args__ = (UniqueConstraint("member_id", "iso_week", name="uq_sent_member_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = _member()
    iso_week: Mapped[str] = mapped_column(String(10))  # e.g. 2026-W48
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)  # delivered (until then: claimed)
    method: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default="sent", server_default="sent")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last attempt
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: no more
    last_error: Mapped[str | None] = mapped_column(String(300))  # brief, with its fix


class DaemonLease(Base):
    """A lease held by a running replica, renewed while it runs; an expired one (a killed
    replica) is taken over (:mod:`daemon.store.lease`)."""

    __tablename__ = "daemon_leases"

    # "daemon" (the whole store), "sync:<account>", "summary:<member>", "replica:<id>"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replica: Mapped[str | None] = mapped_column(String(64))  # None: written before 0008


class RateBucket(Base):
    """A token bucket shared by every replica (``graph:<tenant>:<client id>``)."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ColumnCache(Base):
    """One member's frame columns through ``through_id`` (:mod:`daemon.store.column_cache`)."""

    __tablename__ = "column_cache"

    member_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    through_id: Mapped[int] = mapped_column(BigInteger)
    rows: Mapped[int] = mapped_column(BigInteger)
    columns: Mapped[bytes] = mapped_column(LargeBinary)
    thread_keys: Mapped[str] = mapped_column(Text)


class TouchpointEdit(Base):
    """A change that may stale a member's column cache, written by triggers only."""

    __tablename__ = "touchpoint_edits"
    __table_args__ = (Index("ix_touchpoint_edits_member", "member_id", "low_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer)
    low_id: Mapped[int] = mapped_column(BigInteger)
    txid: Mapped[int | None] = mapped_column(BigInteger)  # PostgreSQL: the writer's
