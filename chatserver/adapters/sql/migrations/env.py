"""Alembic environment: runs on the connection ``chatserver.adapters.sql.migrate`` passes in."""

from __future__ import annotations

from alembic import context

from chatserver.adapters.sql.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
