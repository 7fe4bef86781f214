"""The SQL store on SQLite and PostgreSQL: seq allocation, idempotency, one active room per owner."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import IntegrityError

from chatserver.adapters.sql.models import MessageRow
from chatserver.domain.clock import now_ms
from chatserver.domain.models import NewMessage, NewRoom, SenderType


def _room(business_id: str, guest_id: str = "guest_1_abcdefgh") -> NewRoom:
    return NewRoom(
        business_id=business_id,
        room_name="Chat with G",
        user_type="guest",
        user_id=None,
        user_name="G",
        is_guest=True,
        guest_id=guest_id,
        user_agent="ua",
        email=None,
        tags=("anonymous",),
    )


def _msg(room_id: str, content: str, client_msg_id: str | None = None, sender: str = "guest_1_abcdefgh") -> NewMessage:
    return NewMessage(room_id, sender, SenderType.GUEST, "G", True, content, client_msg_id)


async def test_concurrent_appends_get_unique_gap_free_seqs(runtime, business):
    store = runtime.store
    room = await store.create_room(_room(business), now_ms())
    results = await asyncio.gather(*(store.append_message(_msg(room.id, f"m{i}"), now_ms()) for i in range(40)))
    assert sorted(r.message.seq for r in results) == list(range(1, 41))
    stored = await store.list_messages(room.id, before_seq=None, after_seq=0, limit=100)
    assert [m.seq for m in stored] == list(range(1, 41))
    fresh = await store.get_room(room.id)
    assert fresh is not None and fresh.last_seq == 40


async def test_concurrent_retries_with_one_client_msg_id_store_one_message(runtime, business):
    store = runtime.store
    room = await store.create_room(_room(business), now_ms())
    results = await asyncio.gather(*(store.append_message(_msg(room.id, "once", "same"), now_ms()) for _ in range(10)))
    assert len({r.message.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert len(await store.list_messages(room.id, before_seq=None, after_seq=0, limit=100)) == 1


async def test_same_client_msg_id_from_another_sender_is_a_new_message(runtime, business):
    store = runtime.store
    room = await store.create_room(_room(business), now_ms())
    a = await store.append_message(_msg(room.id, "a", "k"), now_ms())
    b = await store.append_message(_msg(room.id, "b", "k", sender="staff-1"), now_ms())
    assert a.created and b.created and (a.message.seq, b.message.seq) == (1, 2)


async def test_database_rejects_a_duplicate_seq(runtime, business):
    store = runtime.store
    room = await store.create_room(_room(business), now_ms())
    await store.append_message(_msg(room.id, "first"), now_ms())
    row = MessageRow(
        id="dup", room_id=room.id, seq=1, sender_id="x", sender_type="guest", sender_name="x",
        is_guest=True, content="x", created_at=now_ms(), client_msg_id=None, faq_id=None,
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        async with store._sessions() as session, session.begin():
            session.add(row)


async def test_concurrent_room_creation_yields_one_active_room(runtime, business):
    store = runtime.store
    rooms = await asyncio.gather(*(store.create_room(_room(business), now_ms()) for _ in range(8)))
    assert len({r.id for r in rooms}) == 1
    assert await store.count_guest_rooms("guest_1_abcdefgh") == 1
