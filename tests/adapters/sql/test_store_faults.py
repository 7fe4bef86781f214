"""Database faults at the store boundary: a failure before the commit stored nothing; a failure
while committing is reported as uncertain, and the retry with the same clientMsgId finds the
message instead of storing it twice. Over the wire: ``unavailable`` versus ``internal``."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from chatserver.adapters.sql.pg_writer import PgWriter
from chatserver.adapters.sql.sqlite_writer import SqliteWriter
from chatserver.domain.clock import now_ms
from chatserver.ports.store import StoreError
from tests.adapters.sql.test_sql_store import _msg, _room
from tests.conftest import make_token


def _lost(exc_text: str) -> OperationalError:
    return OperationalError("COMMIT", {}, ConnectionResetError(exc_text))


@pytest.fixture
def overrides():
    """No webhook worker: its polling commits would consume the armed fault meant for the test's."""
    return {"webhook_concurrency": 0}


@pytest.fixture
def commit_reply_lost(runtime, backend, monkeypatch):
    """The database commits, then the driver reports the connection lost (the reply never came).

    Every commit point is armed: SQLAlchemy's (the reads and the business operations) and the
    send path's own (SQLite's writer thread, PostgreSQL's writer task; asyncpg's transactions for
    SQLAlchemy's asyncpg adapter)."""
    armed = {"on": True, "skip": 0}  # skip: commits to let through first (reads commit too)

    def fire() -> bool:
        if armed["on"] and armed["skip"] > 0:
            armed["skip"] -= 1
        elif armed["on"]:
            armed["on"] = False
            return True
        return False

    if backend == "sqlite":
        dialect = runtime.store.engine.sync_engine.dialect
        real_commit = dialect.do_commit

        def commit_then_fail(dbapi_connection):
            real_commit(dbapi_connection)
            if fire():
                raise dialect.loaded_dbapi.OperationalError("connection lost while committing")

        def writer_commit_then_fail(self, conn):
            real_writer_commit(self, conn)
            if fire():
                raise sqlite3.OperationalError("disk I/O error while committing")

        real_writer_commit = SqliteWriter._commit
        monkeypatch.setattr(dialect, "do_commit", commit_then_fail)
        monkeypatch.setattr(SqliteWriter, "_commit", writer_commit_then_fail)
    else:
        real_pg_commit = asyncpg.transaction.Transaction.commit

        async def pg_commit_then_fail(self):
            await real_pg_commit(self)
            if fire():
                raise asyncpg.exceptions.ConnectionDoesNotExistError("connection lost while committing")

        async def writer_commit_then_fail(self, conn):
            await real_writer_commit(self, conn)
            if fire():
                raise asyncpg.exceptions.ConnectionDoesNotExistError("connection lost while committing")

        real_writer_commit = PgWriter._commit
        monkeypatch.setattr(asyncpg.transaction.Transaction, "commit", pg_commit_then_fail)
        monkeypatch.setattr(PgWriter, "_commit", writer_commit_then_fail)
    return armed


@pytest.fixture
def statement_fails(monkeypatch):
    """The connection dies while the transaction's statements run (ORM sessions, the Core
    connections, and the send path's own: SQLite's writer thread and asyncpg)."""
    armed = {"on": True}

    def failing(real_execute):
        async def fail_once(self, *args, **kwargs):
            if armed["on"]:
                armed["on"] = False
                raise _lost("connection reset")
            return await real_execute(self, *args, **kwargs)

        return fail_once

    real_writer_execute = SqliteWriter._execute

    def writer_fail_once(self, conn, sql, params=None):
        if armed["on"]:
            armed["on"] = False
            raise sqlite3.OperationalError("disk I/O error")
        return real_writer_execute(self, conn, sql, params)

    real_fetchrow = asyncpg.connection.Connection.fetchrow

    async def pg_fail_once(self, *args, **kwargs):
        if armed["on"]:
            armed["on"] = False
            raise asyncpg.exceptions.ConnectionDoesNotExistError("connection reset")
        return await real_fetchrow(self, *args, **kwargs)

    monkeypatch.setattr(AsyncSession, "execute", failing(AsyncSession.execute))
    monkeypatch.setattr(AsyncConnection, "execute", failing(AsyncConnection.execute))
    monkeypatch.setattr(SqliteWriter, "_execute", writer_fail_once)
    monkeypatch.setattr(asyncpg.connection.Connection, "fetchrow", pg_fail_once)
    return armed


async def test_failure_while_committing_is_uncertain_and_the_retry_finds_it(runtime, business, commit_reply_lost):
    commit_reply_lost["on"] = False
    room = await runtime.store.create_room(_room(business), now_ms())
    commit_reply_lost["on"] = True
    with pytest.raises(StoreError) as info:
        await runtime.store.append_message(_msg(room.id, "hello", "k1"), now_ms())
    assert info.value.uncertain is True
    retry = await runtime.store.append_message(_msg(room.id, "hello", "k1"), now_ms())
    assert retry.created is False and retry.message.seq == 1  # it had been stored: not stored twice
    stored = await runtime.store.list_messages(room.id, before_seq=None, after_seq=None, limit=10)
    assert [(m.seq, m.client_msg_id) for m in stored] == [(1, "k1")]


async def test_failure_before_committing_stored_nothing(runtime, business, statement_fails):
    statement_fails["on"] = False
    room = await runtime.store.create_room(_room(business), now_ms())
    statement_fails["on"] = True
    with pytest.raises(StoreError) as info:
        await runtime.store.append_message(_msg(room.id, "hello", "k1"), now_ms())
    assert info.value.uncertain is False
    assert await runtime.store.list_messages(room.id, before_seq=None, after_seq=None, limit=10) == []
    retry = await runtime.store.append_message(_msg(room.id, "hello", "k1"), now_ms())
    assert retry.created is True and retry.message.seq == 1


async def test_over_the_wire_uncertain_is_internal_certain_is_unavailable(connect, business, commit_reply_lost):
    commit_reply_lost["on"] = False
    client = await connect(token=make_token("customer", "Wire"))
    room_id = (await client.call("chat:join-room", {"businessId": business, "userName": "W"}))["room"]["_id"]
    commit_reply_lost.update(on=True, skip=0)  # a member's send is one transaction: the append
    reply = await client.request("chat:send-message", {"roomId": room_id, "content": "m", "clientMsgId": "c1"})
    assert reply["error"]["code"] == "internal" and "clientMsgId" in reply["error"]["message"]
    retry = await client.call("chat:send-message", {"roomId": room_id, "content": "m", "clientMsgId": "c1"})
    assert retry["duplicate"] is True and retry["seq"] == 1
    echoes = [m for m in client.events("chat:new-message") if m["clientMsgId"] == "c1"]
    assert len(echoes) <= 1  # published at most once
