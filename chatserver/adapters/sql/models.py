"""SQLAlchemy table definitions. Alembic migrations under ``migrations/`` must match these."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chatserver.domain.models import RoomStatus, SenderType

# ``messages.sender_type`` by side: staff have the visitors' messages to read, visitors the
# staff's and the system's (the unread counters: the append and ``mark_read``)
VISITOR_SENDERS = (SenderType.GUEST.value, SenderType.CUSTOMER.value)
STAFF_SIDE_SENDERS = (SenderType.STAFF.value, SenderType.SYSTEM.value)


def new_id() -> str:
    """A new primary key for the ``String(32)`` ``id`` columns: 24 random hex digits."""
    return secrets.token_hex(12)


class Base(DeclarativeBase):
    pass


class BusinessRow(Base):
    __tablename__ = "businesses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)
    # bumped in the transaction of every settings or FAQ write: the message's own UPDATE reads
    # it, so every instance's automation cache knows at once when its copy is out of date
    config_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class GuestRow(Base):
    __tablename__ = "guest_sessions"

    guest_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # sha256 hex of the sessionId: the secret itself is never stored
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(512), default="")
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_seen_at: Mapped[int] = mapped_column(BigInteger)
    expired: Mapped[bool] = mapped_column(Boolean, default=False)


class RoomRow(Base):
    __tablename__ = "rooms"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"))
    room_name: Mapped[str] = mapped_column(String(200))
    user_type: Mapped[str] = mapped_column(String(16))
    # indexed (0006): a customer's rooms are found by it (export, erase)
    user_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    user_name: Mapped[str] = mapped_column(String(100))
    is_guest: Mapped[bool] = mapped_column(Boolean)
    guest_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    # "guest:<guestId>" or "user:<sub>": who owns the conversation, for the one-active-room rule
    owner_key: Mapped[str] = mapped_column(String(170))
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_message: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_message_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    # last_message_at, or created_at before the first message: the room list's sort key
    activity_at: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[int] = mapped_column(BigInteger)
    # staff workflow (0002): status is orthogonal to is_active, see protocol.md "Room status"
    status: Mapped[str] = mapped_column(String(16), default=RoomStatus.OPEN.value, server_default=RoomStatus.OPEN.value)
    closed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    assigned_to: Mapped[str | None] = mapped_column(String(128), nullable=True)
    staff_read_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    visitor_read_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unread_by_staff: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unread_by_visitor: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # guest conversion (0002): the contact this conversation was linked to
    customer_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    converted_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # the latest satisfaction rating (0008) and the closed_at it rates: see domain/ratings.py
    rating_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    rated_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rated_closure_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        Index("ix_rooms_business_activity", "business_id", "activity_at", "id"),
        Index(
            "uq_rooms_active_owner",
            "business_id",
            "owner_key",
            unique=True,
            sqlite_where=text("is_active"),
            postgresql_where=text("is_active"),
        ),
    )


class MessageRow(Base):
    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"))
    seq: Mapped[int] = mapped_column(Integer)
    sender_id: Mapped[str] = mapped_column(String(128))
    sender_type: Mapped[str] = mapped_column(String(16))
    sender_name: Mapped[str] = mapped_column(String(100))
    is_guest: Mapped[bool] = mapped_column(Boolean)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    client_msg_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    faq_id: Mapped[str | None] = mapped_column(String(32), nullable=True)

    __table_args__ = (
        UniqueConstraint("room_id", "seq", name="uq_messages_room_seq"),
        UniqueConstraint("room_id", "sender_id", "client_msg_id", name="uq_messages_client_msg"),
    )


class FaqRow(Base):
    __tablename__ = "faqs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    question: Mapped[str] = mapped_column(String(500))
    answer: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class CannedResponseRow(Base):
    """A business's canned responses; ``short_code_key`` (the code case-folded) is unique per business."""

    __tablename__ = "canned_responses"
    __table_args__ = (UniqueConstraint("business_id", "short_code_key", name="uq_canned_short_code"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"))
    short_code: Mapped[str] = mapped_column(String(32))
    short_code_key: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class BusinessSettingsRow(Base):
    """Auto-responses, business hours, FAQ threshold: one JSON document per business."""

    __tablename__ = "business_settings"

    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class ContactRow(Base):
    """A customer contact of a business, created when staff convert a guest (one per email)."""

    __tablename__ = "contacts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"))
    email: Mapped[str] = mapped_column(String(254))  # normalized: lower-case
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("business_id", "email", name="uq_contacts_business_email"),)


class StaffAccountRow(Base):
    """Staff who log in with a password (standalone use); external JWTs need no row here."""

    __tablename__ = "staff_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"))
    email: Mapped[str] = mapped_column(String(254), unique=True)  # normalized: lower-case
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[int] = mapped_column(BigInteger)
    # the "ver" claim its login tokens must carry (migration 0005); bumped to revoke them all
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# webhooks (migration 0003)

EVENT_SEQ = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only


class WebhookRow(Base):
    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_id: Mapped[str] = mapped_column(ForeignKey("businesses.id"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(100))  # the HMAC key: needed in clear to sign
    events: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(128))


class WebhookEventRow(Base):
    """The outbox: written in the transaction of the change it describes."""

    __tablename__ = "webhook_events"

    seq: Mapped[int] = mapped_column(EVENT_SEQ, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    business_id: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(40))
    order_key: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    dispatched_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        Index(
            "ix_webhook_events_undispatched",
            "seq",
            sqlite_where=text("dispatched_at IS NULL"),
            postgresql_where=text("dispatched_at IS NULL"),
        ),
        Index("ix_webhook_events_dispatched_at", "dispatched_at"),
        # a room's events, for the export and the erase (0006)
        Index("ix_webhook_events_order_key", "order_key"),
    )


class WebhookDeliveryRow(Base):
    """One event for one webhook: its status, attempts and last error."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id"))
    event_seq: Mapped[int] = mapped_column(ForeignKey("webhook_events.seq"))
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    order_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)
    retry_from: Mapped[int] = mapped_column(BigInteger)  # start of the retry window (creation or replay)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        UniqueConstraint("webhook_id", "event_seq", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_order", "webhook_id", "order_key", "status", "event_seq"),
        Index("ix_webhook_deliveries_list", "webhook_id", "created_at", "id"),
        Index("ix_webhook_deliveries_event", "event_seq"),
    )


class ErasedActivityRow(Base):
    """What erased conversations still count for analytics (0006): per business and UTC day, the
    counts the report adds up, and nothing that names anyone."""

    __tablename__ = "erased_activity"

    business_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # created_at // 86400000
    guest_rooms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    guest_rooms_with_email: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    converted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    authenticated_rooms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    guest_messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    customer_messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    staff_messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    system_messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    faq_answers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # satisfaction ratings by score, on the day they were given (0008)
    csat_1: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    csat_2: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    csat_3: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    csat_4: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    csat_5: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RoomRatingRow(Base):
    """Every closure's satisfaction rating (0008), kept when the room is reopened and rated
    again: what the analytics count. One per closure: a new rating of it replaces the row."""

    __tablename__ = "room_ratings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_id: Mapped[str] = mapped_column(String(32))
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"))
    closed_at: Mapped[int] = mapped_column(BigInteger)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    rated_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("room_id", "closed_at", name="uq_room_ratings_closure"),
        Index("ix_room_ratings_business_rated", "business_id", "rated_at"),
    )
