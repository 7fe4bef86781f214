"""canned responses (issue 17): replies staff insert with ``/`` and a short code, unique per
business whatever its case

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("business_id", sa.String(32), sa.ForeignKey("businesses.id"), nullable=False),
        sa.Column("short_code", sa.String(32), nullable=False),
        sa.Column("short_code_key", sa.String(32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("business_id", "short_code_key", name="uq_canned_short_code"),
    )


def downgrade() -> None:
    op.drop_table("canned_responses")
