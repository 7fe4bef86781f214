"""``SQLITE_SYNCHRONOUS`` reaches both SQLite connections: the engine's and the send path's
writer thread's (the one whose commits acknowledge messages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatserver.adapters.sql.engine import create_engine
from chatserver.adapters.sql.sql import SqlStore
from chatserver.adapters.sql.sqlite_writer import SqliteWriter

LEVELS = {"FULL": 2, "NORMAL": 1}  # what PRAGMA synchronous reads back


@pytest.mark.parametrize("level", ["FULL", "NORMAL"])
async def test_both_connections_use_the_setting(tmp_path: Path, level: str) -> None:
    store = SqlStore(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", sqlite_synchronous=level))
    try:
        async with store.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar_one() == LEVELS[level]
        writer = store._appender
        assert isinstance(writer, SqliteWriter)
        connection = writer._connect()
        try:
            assert connection.execute("PRAGMA synchronous").fetchone()[0] == LEVELS[level]
        finally:
            connection.close()
    finally:
        await store.close()
