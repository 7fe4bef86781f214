"""staff_accounts.token_version: login tokens carry it; revoking or a new password bumps it

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# plain ALTER TABLE on both databases, as in 0004: every existing account starts at version 0,
# which the tokens issued before this migration (without a "ver" claim) count as
def upgrade() -> None:
    op.add_column("staff_accounts", sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("staff_accounts", "token_version")
