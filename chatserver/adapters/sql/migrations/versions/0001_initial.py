"""initial schema: businesses, guest sessions, rooms, messages

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "businesses",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "guest_sessions",
        sa.Column("guest_id", sa.String(40), primary_key=True),
        sa.Column("session_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_agent", sa.String(512), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", sa.BigInteger(), nullable=False),
        sa.Column("expired", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "rooms",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("business_id", sa.String(32), sa.ForeignKey("businesses.id"), nullable=False),
        sa.Column("room_name", sa.String(200), nullable=False),
        sa.Column("user_type", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=True),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("is_guest", sa.Boolean(), nullable=False),
        sa.Column("guest_id", sa.String(40), nullable=True),
        sa.Column("owner_key", sa.String(170), nullable=False),
        sa.Column("user_agent", sa.String(512), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_message", sa.String(200), nullable=True),
        sa.Column("last_message_at", sa.BigInteger(), nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("activity_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_rooms_guest_id", "rooms", ["guest_id"])
    op.create_index("ix_rooms_business_activity", "rooms", ["business_id", "activity_at", "id"])
    op.create_index(
        "uq_rooms_active_owner",
        "rooms",
        ["business_id", "owner_key"],
        unique=True,
        sqlite_where=sa.text("is_active"),
        postgresql_where=sa.text("is_active"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("sender_type", sa.String(16), nullable=False),
        sa.Column("sender_name", sa.String(100), nullable=False),
        sa.Column("is_guest", sa.Boolean(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("client_msg_id", sa.String(64), nullable=True),
        sa.Column("faq_id", sa.String(32), nullable=True),
        sa.UniqueConstraint("room_id", "seq", name="uq_messages_room_seq"),
        sa.UniqueConstraint("room_id", "sender_id", "client_msg_id", name="uq_messages_client_msg"),
    )


def downgrade() -> None:
    op.drop_table("messages")
    op.drop_index("uq_rooms_active_owner", table_name="rooms")
    op.drop_index("ix_rooms_business_activity", table_name="rooms")
    op.drop_index("ix_rooms_guest_id", table_name="rooms")
    op.drop_table("rooms")
    op.drop_table("guest_sessions")
    op.drop_table("businesses")
