"""privacy (issue 16): indexes the export and the erase look rooms and webhook events up by, and
the anonymous per-day counts erased conversations leave for analytics

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COUNTS = (
    "guest_rooms",
    "guest_rooms_with_email",
    "converted",
    "authenticated_rooms",
    "guest_messages",
    "customer_messages",
    "staff_messages",
    "system_messages",
    "faq_answers",
)


# plain CREATE INDEX / CREATE TABLE on both databases, as in 0003: a customer's rooms are found
# by rooms.user_id or rooms.customer_id, a room's outbox rows by webhook_events.order_key
def upgrade() -> None:
    op.create_index("ix_rooms_user_id", "rooms", ["user_id"])
    op.create_index("ix_rooms_customer_id", "rooms", ["customer_id"])
    op.create_index("ix_webhook_events_order_key", "webhook_events", ["order_key"])
    op.create_table(
        "erased_activity",
        sa.Column("business_id", sa.String(32), primary_key=True),
        sa.Column("day", sa.BigInteger(), primary_key=True),
        *(sa.Column(name, sa.Integer(), nullable=False, server_default="0") for name in COUNTS),
    )


def downgrade() -> None:
    op.drop_table("erased_activity")
    op.drop_index("ix_webhook_events_order_key", table_name="webhook_events")
    op.drop_index("ix_rooms_customer_id", table_name="rooms")
    op.drop_index("ix_rooms_user_id", table_name="rooms")
