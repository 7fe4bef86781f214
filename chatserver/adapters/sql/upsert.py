"""``INSERT … ON CONFLICT`` on both databases: SQLAlchemy builds it only from the dialect's own
``insert`` (PostgreSQL's or SQLite's), so the callers that add to a row or replace it ask here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def upsert_insert(table: Table, dialect: str) -> Any:
    """The ``insert`` of ``dialect`` (an engine's ``dialect.name``) into ``table``: it has
    ``on_conflict_do_update`` and ``excluded``."""
    return pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
