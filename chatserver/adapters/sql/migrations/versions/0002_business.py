"""business features: FAQs, business settings, contacts, staff accounts, room workflow columns

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def room_columns() -> list[sa.Column[object]]:
    """Fresh Column objects each call (a Column belongs to one table)."""
    return [
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("closed_at", sa.BigInteger(), nullable=True),
        sa.Column("assigned_to", sa.String(128), nullable=True),
        sa.Column("staff_read_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("visitor_read_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("unread_by_staff", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("unread_by_visitor", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("customer_id", sa.String(32), nullable=True),
        sa.Column("converted_at", sa.BigInteger(), nullable=True),
    ]


def upgrade() -> None:
    for column in room_columns():
        op.add_column("rooms", column)
    op.create_table(
        "faqs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("business_id", sa.String(32), sa.ForeignKey("businesses.id"), nullable=False),
        sa.Column("question", sa.String(500), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_faqs_business_id", "faqs", ["business_id"])
    op.create_table(
        "business_settings",
        sa.Column("business_id", sa.String(32), sa.ForeignKey("businesses.id"), primary_key=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("business_id", sa.String(32), sa.ForeignKey("businesses.id"), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("business_id", "email", name="uq_contacts_business_email"),
    )
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("business_id", sa.String(32), sa.ForeignKey("businesses.id"), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_accounts")
    op.drop_table("contacts")
    op.drop_table("business_settings")
    op.drop_index("ix_faqs_business_id", table_name="faqs")
    op.drop_table("faqs")
    with op.batch_alter_table("rooms") as batch:
        for column in reversed(room_columns()):
            batch.drop_column(column.name)
