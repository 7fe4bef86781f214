"""satisfaction ratings (issue 17): the room's latest rating and the closure it rates, every
closure's rating in room_ratings (what analytics count), and erased ratings' anonymous counts

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ROOM_COLUMNS = (
    ("rating_score", sa.Integer()),
    ("rating_comment", sa.Text()),
    ("rated_at", sa.BigInteger()),
    ("rated_closure_at", sa.BigInteger()),
)
CSAT_COUNTS = ("csat_1", "csat_2", "csat_3", "csat_4", "csat_5")


# plain ALTER TABLE ADD COLUMN / CREATE TABLE on both databases, as in 0005 and 0006: the new
# room columns are nullable (no room was rated before), the erased counts start at 0
def upgrade() -> None:
    for name, column_type in ROOM_COLUMNS:
        op.add_column("rooms", sa.Column(name, column_type, nullable=True))
    for name in CSAT_COUNTS:
        op.add_column("erased_activity", sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "room_ratings",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("business_id", sa.String(32), nullable=False),
        sa.Column("room_id", sa.String(32), sa.ForeignKey("rooms.id"), nullable=False),
        sa.Column("closed_at", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_at", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("room_id", "closed_at", name="uq_room_ratings_closure"),
    )
    op.create_index("ix_room_ratings_business_rated", "room_ratings", ["business_id", "rated_at"])


def downgrade() -> None:
    op.drop_index("ix_room_ratings_business_rated", table_name="room_ratings")
    op.drop_table("room_ratings")
    # plain DROP COLUMN (SQLite 3.35+), as in 0004: a batch copy would lose the rooms' partial index
    for name in reversed(CSAT_COUNTS):
        op.drop_column("erased_activity", name)
    for name, _ in reversed(ROOM_COLUMNS):
        op.drop_column("rooms", name)
