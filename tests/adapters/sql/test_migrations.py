"""The alembic migrations build exactly the models' schema, on an empty PostgreSQL schema and on
SQLite; ``chatserver serve`` refuses an out-of-date PostgreSQL schema until ``chatserver migrate``."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from chatserver.adapters.sql import migrate
from chatserver.adapters.sql.engine import create_engine
from chatserver.adapters.sql.models import Base
from tests.procs import free_port, run_cli
from tests.services import PG_URL, postgres_schema, run_aside


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _migrate_and_compare(url: str, schema: str | None) -> tuple[str | None, list[object]]:
    engine = create_engine(url, schema=schema)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
        return await migrate.current_revision(engine), diff
    finally:
        await engine.dispose()


def test_migrations_on_an_empty_postgres_schema_match_the_models():
    with postgres_schema() as schema:
        revision, diff = run_aside(_migrate_and_compare(PG_URL, schema))
    assert revision == migrate.head_revision()
    assert diff == []


def test_migrations_on_sqlite_match_the_models(tmp_path: Path):
    revision, diff = run_aside(_migrate_and_compare(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", None))
    assert revision == migrate.head_revision()
    assert diff == []


def test_serve_refuses_an_unmigrated_postgres_schema_and_migrate_creates_it():
    with postgres_schema() as schema:
        env = {
            "DATABASE_URL": PG_URL,
            "DATABASE_SCHEMA": schema,
            "PORT": str(free_port()),
            "LOG_LEVEL": "WARNING",
            "JWT_SECRET": "m" * 32,
        }
        refused = run_cli("serve", env=env)
        assert refused.returncode == 1
        assert "database schema is at nothing" in refused.stderr and "run 'chatserver migrate'" in refused.stderr

        fresh = {**env, "DATABASE_SCHEMA": schema + "_new"}  # migrate also creates a missing schema
        try:
            migrated = run_cli("migrate", env=fresh)
            assert migrated.returncode == 0, migrated.stderr
            assert migrated.stdout.strip() == f"database at revision {migrate.head_revision()}"
            again = run_cli("migrate", env=fresh)  # idempotent
            assert again.returncode == 0, again.stderr
        finally:
            _drop_schema(schema + "_new")


def _drop_schema(schema: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    run_aside(run())
