"""businesses.config_version: bumped by every settings or FAQ write

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# plain ALTER TABLE on both databases: a batch (copy and rename) on SQLite would drop the
# table the rooms' foreign keys point at
def upgrade() -> None:
    op.add_column("businesses", sa.Column("config_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("businesses", "config_version")
