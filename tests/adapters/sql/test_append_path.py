"""The send path's own database access (append_plan.py): SQLite's writer thread with group
commit, asyncpg on PostgreSQL. Same rules as through SQLAlchemy: gap-free seq, one message per
clientMsgId, the room as updated, webhook events only for businesses with a webhook."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from chatserver.adapters.sql.models import MessageRow, WebhookEventRow
from chatserver.adapters.sql.sqlite_writer import SqliteWriter
from chatserver.adapters.sql.webhooks import SqlWebhookStore
from chatserver.domain.clock import now_ms
from chatserver.domain.models import NewMessage, SenderType
from chatserver.domain.webhooks import Webhook
from tests.adapters.sql.test_sql_store import _msg, _room


async def _count(runtime, query) -> int:
    async with runtime.store.engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def test_a_burst_is_stored_in_few_transactions_with_gap_free_seqs(runtime, backend, business):
    store = runtime.store
    rooms = [await store.create_room(_room(business, f"guest_1_{i:08d}"), now_ms()) for i in range(4)]
    writer = store._appender
    jobs_before = writer.jobs if isinstance(writer, SqliteWriter) else 0
    sends = [
        store.append_message(_msg(rooms[i % 4].id, f"m{i}", f"c{i}", sender=f"guest_1_{i % 4:08d}"), now_ms())
        for i in range(200)
    ]
    results = await asyncio.gather(*sends)
    assert all(r.created for r in results)
    for room in rooms:
        seqs = sorted(r.message.seq for r in results if r.message.room_id == room.id)
        assert seqs == list(range(1, 51))
        last = max((r for r in results if r.message.room_id == room.id), key=lambda r: r.message.seq)
        assert last.room is not None and last.room.last_seq == 50 and last.room.unread_by_staff == 50
    assert await _count(runtime, select(func.count()).select_from(MessageRow)) == 200
    if backend == "sqlite":
        assert isinstance(writer, SqliteWriter) and writer.jobs - jobs_before == 200
        assert writer.batches < 200  # group commit: appends waiting during a commit share the next one


async def test_retries_in_one_burst_store_one_message(runtime, business):
    room = await runtime.store.create_room(_room(business), now_ms())
    results = await asyncio.gather(
        *(runtime.store.append_message(_msg(room.id, "once", "same"), now_ms()) for _ in range(25))
    )
    assert sum(r.created for r in results) == 1
    assert {r.message.id for r in results} == {results[0].message.id}
    assert {r.message.seq for r in results} == {1}


async def test_staff_messages_count_as_unread_for_the_visitor(runtime, business):
    room = await runtime.store.create_room(_room(business), now_ms())
    staff = NewMessage(room.id, "staff-1", SenderType.STAFF, "Alice", False, "hello", "s1")
    result = await runtime.store.append_message(staff, now_ms())
    assert result.room is not None
    assert (result.room.unread_by_visitor, result.room.unread_by_staff) == (1, 0)
    assert result.room.last_message == "hello" and result.room.tags == ("anonymous",)
    stored = await runtime.store.list_messages(room.id, before_seq=None, after_seq=None, limit=5)
    assert [(m.sender_name, m.is_guest, m.client_msg_id) for m in stored] == [("Alice", False, "s1")]


async def test_webhook_events_only_for_the_business_with_a_webhook(runtime, business):
    other = (await runtime.store.create_business("Other", now_ms())).id
    hook = Webhook("wh1", other, "https://example.invalid/h", ("*",), "s" * 32, now_ms(), "staff-1")
    await SqlWebhookStore(runtime.store.engine).add_webhook(hook)
    quiet = await runtime.store.create_room(_room(business), now_ms())
    hooked = await runtime.store.create_room(_room(other, "guest_2_abcdefgh"), now_ms())
    before = await _count(runtime, select(func.count()).select_from(WebhookEventRow))
    await runtime.store.append_message(_msg(quiet.id, "no hook here"), now_ms())
    assert await _count(runtime, select(func.count()).select_from(WebhookEventRow)) == before
    await runtime.store.append_message(_msg(hooked.id, "hooked", sender="guest_2_abcdefgh"), now_ms())
    query = select(func.count()).select_from(WebhookEventRow).where(WebhookEventRow.type == "message.created")
    assert await _count(runtime, query) == 1


async def test_unknown_room_is_refused_and_nothing_stored(runtime):
    from chatserver.ports.store import StoreError

    with pytest.raises(StoreError):
        await runtime.store.append_message(_msg("no-such-room-000000000000", "x"), now_ms())
    assert await _count(runtime, select(func.count()).select_from(MessageRow)) == 0


async def test_a_refused_append_stores_nothing_and_its_batch_neighbours_are_stored(runtime, business):
    from chatserver.domain.models import Room
    from chatserver.ports.store import Prepared

    room = await runtime.store.create_room(_room(business), now_ms())

    class Refusal(Exception):
        pass

    def refuse(_room: Room | None) -> Prepared:
        raise Refusal("not yours")

    def missing(current: Room | None) -> Prepared:
        assert current is None
        raise Refusal("no such room")

    sends = [runtime.store.append_message(_msg(room.id, f"ok {i}", f"ok{i}"), now_ms()) for i in range(5)]
    sends.insert(2, runtime.store.append_message(_msg(room.id, "refused", "r"), now_ms(), prepare=refuse))
    sends.append(runtime.store.append_message(_msg("nope-000000000000000000", "x"), now_ms(), prepare=missing))
    results = await asyncio.gather(*sends, return_exceptions=True)
    assert [type(r).__name__ for r in results] == ["AppendResult"] * 2 + ["Refusal"] + ["AppendResult"] * 3 + [
        "Refusal"
    ]
    stored = await runtime.store.list_messages(room.id, before_seq=None, after_seq=None, limit=10)
    assert sorted(m.content for m in stored) == [f"ok {i}" for i in range(5)]  # PostgreSQL: commit order
    assert [m.seq for m in stored] == [1, 2, 3, 4, 5]


async def test_sqlite_checkpoints_run_beside_the_writer(tmp_path):
    """The writer's connection never checkpoints inside a commit; the checkpointer thread does,
    once a second after commits, so the WAL does not grow without bound."""
    from chatserver.adapters.sql import migrate
    from chatserver.adapters.sql.engine import create_engine
    from chatserver.adapters.sql.sql import SqlStore

    store = SqlStore(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}"))
    try:
        await migrate.upgrade(store.engine)
        business = (await store.create_business("Wal", now_ms())).id
        room = await store.create_room(_room(business), now_ms())
        await asyncio.gather(*(store.append_message(_msg(room.id, f"m{i}"), now_ms()) for i in range(50)))
        writer = store._appender
        assert isinstance(writer, SqliteWriter) and writer.checkpoints == 0
        for _ in range(40):
            if writer.checkpoints:
                break
            await asyncio.sleep(0.1)
        assert writer.checkpoints >= 1
    finally:
        await store.close()


async def test_two_sends_to_a_closed_room_in_one_batch_reopen_it_once(runtime, business):
    """Appends to one room run one after the other even when batched (on PostgreSQL, in separate
    waves): the second sees the room the first reopened."""
    from chatserver.domain.models import Room, RoomStatus
    from chatserver.ports.store import Prepared

    room = await runtime.store.create_room(_room(business), now_ms())
    await runtime.store.set_room_status(room.id, RoomStatus.CLOSED.value, now_ms())

    def reopen_if_closed(new: NewMessage):
        def prepare(current: Room | None) -> Prepared:
            assert current is not None
            return Prepared(new, reopen=current.status == RoomStatus.CLOSED)

        return prepare

    news = [_msg(room.id, f"back {i}", f"b{i}") for i in range(3)]
    results = await asyncio.gather(
        *(runtime.store.append_message(new, now_ms(), prepare=reopen_if_closed(new)) for new in news)
    )
    assert [r.reopened for r in results] == [True, False, False]
    fresh = await runtime.store.get_room(room.id)
    assert fresh is not None and fresh.status == RoomStatus.OPEN
