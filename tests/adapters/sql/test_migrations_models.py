"""The alembic migrations build exactly the schema ``chatserver/adapters/sql/models.py`` declares."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from chatserver.adapters.sql import migrate
from chatserver.adapters.sql.models import Base
from chatserver.composition import make_store


async def test_migrated_schema_matches_the_models(settings):
    store = make_store(settings)
    try:
        await migrate.upgrade(store.engine)

        def diff(connection: Any) -> list[Any]:
            return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

        async with store.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await store.close()
