"""Engine construction per database URL: SQLite pragmas, PostgreSQL schema and pool."""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

# what create_engine gave asyncpg, for the send path's own asyncpg pool (pg_append.py)
_CONNECT_ARGS: weakref.WeakKeyDictionary[Engine, dict[str, Any]] = weakref.WeakKeyDictionary()


def asyncpg_settings(engine: AsyncEngine) -> dict[str, Any]:
    """The connect arguments (timeouts, ``server_settings``) and ``pool_size`` of a PostgreSQL
    engine made by ``create_engine``."""
    return dict(_CONNECT_ARGS.get(engine.sync_engine, {}))


def sqlite_settings(engine: AsyncEngine) -> dict[str, Any]:
    """The pragmas a SQLite engine made by ``create_engine`` sets (``synchronous``)."""
    return dict(_CONNECT_ARGS.get(engine.sync_engine, {}))


class DatabaseUnusable(ValueError):
    """The database URL names a database that cannot be opened; the message says why."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; ``None`` in memory or for another database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_engine(
    url: str,
    *,
    schema: str | None = None,
    pool_size: int = 10,
    timeout: float = 10,
    sqlite_synchronous: str = "FULL",
) -> AsyncEngine:
    """An async engine for ``sqlite+aiosqlite`` or ``postgresql+asyncpg`` URLs.

    SQLite gets one connection (SQLite serializes writers anyway; one connection avoids
    ``database is locked`` on lock upgrades), WAL and a busy timeout for other processes.
    PostgreSQL can be pinned to ``schema`` through ``search_path`` (tests isolate runs this way).
    ``timeout`` bounds connecting and every statement: a database that stops answering (a
    network partition, not just a refused connection) fails requests with ``unavailable`` after
    that long instead of holding them forever. Waiting for a pooled connection keeps the pool's
    own 30 s: under a burst of load (a reconnect storm) requests queue rather than fail.
    ``sqlite_synchronous`` (``FULL`` or ``NORMAL``): what an acknowledged write survives on SQLite
    (``SQLITE_SYNCHRONOUS``); the send path's writer thread reads it back (``sqlite_settings``).
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = sqlite_file(url)
        if database is not None and not database.parent.is_dir():
            # said here, before the driver's connection thread fails on it
            raise DatabaseUnusable(
                f"cannot open the SQLite database {str(database)!r}: its folder {str(database.parent)!r} does not exist"
            )
        synchronous = "NORMAL" if sqlite_synchronous.upper() == "NORMAL" else "FULL"
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=30)
        _CONNECT_ARGS[engine.sync_engine] = {"synchronous": synchronous}

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if backend == "postgresql":
        connect_args: dict[str, Any] = {"timeout": timeout, "command_timeout": timeout}
        if schema:
            connect_args["server_settings"] = {"search_path": schema}
        engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            connect_args=connect_args,
        )
        _CONNECT_ARGS[engine.sync_engine] = {**connect_args, "pool_size": pool_size}
        return engine
    raise ValueError(
        f"unsupported DATABASE_URL scheme {parsed.drivername!r}: use sqlite+aiosqlite or postgresql+asyncpg"
    )
