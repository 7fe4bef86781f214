"""PostgreSQL's writer task (pg_writer.py): appends group-committed and run side by side
(pg_lockstep.py), yet each one as if it ran alone — gap-free seqs, one message per clientMsgId,
a failing job failing alone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chatserver.adapters.sql.pg_append import PgAppender
from chatserver.adapters.sql.pg_lockstep import Running, waves
from chatserver.adapters.sql.plan import Plan, Step
from chatserver.domain.clock import now_ms
from chatserver.ports.store import StoreError
from tests.adapters.sql.test_sql_store import _msg, _room


@pytest.fixture
def backend() -> str:
    return "postgres"


def _job(key: str | None) -> Running:
    def plan() -> Plan[None]:
        yield Step("SELECT 1", (), False, key=key)

    return Running(plan())


def _keys(batch: list[list[Running]], jobs: list[Running]) -> list[list[int]]:
    return [[jobs.index(job) for job in wave] for wave in batch]


def test_waves_hold_one_job_per_key_in_queue_order():
    jobs = [_job(key) for key in ["a", "b", "a", "c", "a", "b"]]
    assert _keys(waves(jobs), jobs) == [[0, 1, 3], [2, 5], [4]]


def test_a_job_without_a_key_runs_alone_between_the_others():
    jobs = [_job(key) for key in ["a", "b", None, "a", None, None, "b"]]
    assert _keys(waves(jobs), jobs) == [[0, 1], [2], [3], [4], [5], [6]]


def _writer(runtime: Any) -> Any:
    appender = runtime.store._appender
    assert isinstance(appender, PgAppender)
    return appender.writer


async def test_a_burst_over_many_rooms_is_few_transactions_with_gap_free_seqs(runtime, business):
    store = runtime.store
    rooms = [await store.create_room(_room(business, f"guest_1_{i:08d}"), now_ms()) for i in range(20)]
    writer = _writer(runtime)
    batches, jobs = writer.batches, writer.jobs
    sends = [
        store.append_message(_msg(rooms[i % 20].id, f"m{i}", f"c{i}", sender=f"guest_1_{i % 20:08d}"), now_ms())
        for i in range(400)
    ]
    results = await asyncio.gather(*sends)
    assert all(r.created for r in results)
    for room in rooms:
        assert sorted(r.message.seq for r in results if r.message.room_id == room.id) == list(range(1, 21))
    assert writer.jobs - jobs == 400
    assert writer.batches - batches < 20  # group commit


async def test_a_missing_room_fails_alone_in_its_batch(runtime, business):
    store = runtime.store
    rooms = [await store.create_room(_room(business, f"guest_1_{i:08d}"), now_ms()) for i in range(3)]
    sends = [
        store.append_message(_msg(room.id, "ok", sender=f"guest_1_{i:08d}"), now_ms()) for i, room in enumerate(rooms)
    ]
    sends.insert(1, store.append_message(_msg("nope-000000000000000000", "x"), now_ms()))
    results = await asyncio.gather(*sends, return_exceptions=True)
    assert isinstance(results[1], StoreError) and not results[1].uncertain
    assert [r.message.seq for r in results if not isinstance(r, BaseException)] == [1, 1, 1]


async def test_a_retry_among_other_rooms_returns_the_stored_message(runtime, business):
    store = runtime.store
    rooms = [await store.create_room(_room(business, f"guest_1_{i:08d}"), now_ms()) for i in range(4)]
    first = await store.append_message(_msg(rooms[0].id, "hello", "k", sender="guest_1_00000000"), now_ms())
    sends = [
        store.append_message(_msg(room.id, "next", "n", sender=f"guest_1_{i:08d}"), now_ms())
        for i, room in enumerate(rooms)
    ]
    sends.append(store.append_message(_msg(rooms[0].id, "hello", "k", sender="guest_1_00000000"), now_ms()))
    results = await asyncio.gather(*sends)
    retry = results[-1]
    assert not retry.created and retry.message.id == first.message.id
    assert [r.message.seq for r in results[:-1]] == [2, 1, 1, 1]


async def test_the_writer_reconnects_when_the_server_closed_its_connection(runtime, business):
    """A restarted database closed the idle connection: the next batch connects again instead of
    failing (nothing of it had been sent)."""
    store = runtime.store
    room = await store.create_room(_room(business), now_ms())
    writer = _writer(runtime)
    assert writer._conn is not None
    pid = writer._conn.get_server_pid()
    async with store.engine.connect() as conn:
        await conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
    await asyncio.sleep(0.1)
    sent = await store.append_message(_msg(room.id, "after", "a"), now_ms())
    assert sent.created and sent.message.seq == 1
    assert writer._conn.get_server_pid() != pid
