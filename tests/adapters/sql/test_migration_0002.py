"""Migration 0002 upgrades a populated 0001 database, matches the models, and downgrades."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from chatserver.adapters.sql import migrate
from chatserver.adapters.sql.engine import create_engine
from chatserver.adapters.sql.models import Base


async def test_0002_upgrades_existing_rooms_and_matches_the_models(settings):
    engine = create_engine(settings.database_url, schema=settings.database_schema or None)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(migrate._config(c), "0001"))
            await conn.execute(text("INSERT INTO businesses (id, name, created_at) VALUES ('b1', 'Acme', 1)"))
            await conn.execute(
                text(
                    "INSERT INTO rooms (id, business_id, room_name, user_type, user_name, is_guest, guest_id,"
                    " owner_key, tags, extra, is_active, last_seq, activity_at, created_at)"
                    " VALUES ('r1', 'b1', 'Chat with G', 'guest', 'G', true, 'guest_1', 'guest:guest_1',"
                    " '[]', '{}', true, 0, 1, 1)"
                )
            )
        await migrate.upgrade(engine)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        async with engine.connect() as conn:
            row = (
                await conn.execute(text("SELECT status, unread_by_staff, staff_read_seq, customer_id FROM rooms"))
            ).one()
            assert tuple(row) == ("open", 0, 0, None)
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
            assert diff == []
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(migrate._config(c), "0001"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM rooms"))).scalar_one() == 1
    finally:
        await engine.dispose()
