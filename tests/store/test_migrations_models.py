"""The alembic migrations build exactly the schema ``chatserver/store/models.py`` declares."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from chatserver.app import make_store
from chatserver.store import migrate
from chatserver.store.models import Base


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
