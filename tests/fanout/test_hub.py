"""The hub's ordering guarantees with a scripted broker and an in-memory message source:
gaps are filled from the store, duplicates dropped, outages (``Resync``) caught up, and local
members served even when the broker fails."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from tornado.ioloop import IOLoop

from chatserver.domain.models import Message, Room, SenderType
from chatserver.fanout.hub import Frames, Hub, message_frame, pack
from chatserver.ports.broker import Publication, Resync


def message(room_id: str, seq: int) -> Message:
    return Message(f"m{seq}", room_id, seq, "guest_1", SenderType.GUEST, "Guest", True, f"text {seq}", 1000 + seq)


def room(room_id: str, last_seq: int) -> Room:
    return Room(room_id, "biz", "Chat", "guest", None, "G", True, "guest_1", None, None, None, (), True, None, None,
                last_seq, 0)  # fmt: skip


class Source:
    """Messages as the store has them; ``gate`` can hold reads to orchestrate races."""

    def __init__(self) -> None:
        self.messages: dict[str, list[Message]] = {}
        self.gate: asyncio.Event | None = None
        self.failures = 0

    def store(self, room_id: str, seq: int) -> Message:
        m = message(room_id, seq)
        self.messages.setdefault(room_id, []).append(m)
        return m

    async def get_room(self, room_id: str) -> Room | None:
        return room(room_id, len(self.messages.get(room_id, [])))

    async def list_messages(
        self, room_id: str, *, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[Message]:
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise OSError("database unavailable")
        rows = [
            m
            for m in self.messages.get(room_id, [])
            if (before_seq is None or m.seq < before_seq) and (after_seq is None or m.seq > after_seq)
        ]
        return rows[:limit] if after_seq is not None else rows[-limit:]


class ScriptedBroker:
    reaches_other_instances = True  # as Redis: what the hub publishes is recorded

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Publication | Resync] = asyncio.Queue()
        self.published: list[Publication] = []
        self.fail_publish = False

    def inject(self, item: Publication | Resync) -> None:
        self.queue.put_nowait(item)

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def subscribe(self, channel: str) -> None:
        return None

    async def unsubscribe(self, channel: str) -> None:
        return None

    async def publish(self, channel: str, payload: bytes) -> None:
        if self.fail_publish:
            raise ConnectionError("broker down")
        self.published.append(Publication(channel, payload))

    async def next_published(self) -> Publication | Resync:
        return await self.queue.get()

    async def ping(self) -> None:
        return None


class Conn:
    def __init__(self) -> None:
        self.frames: list[dict[str, object]] = []

    def send_text(self, frame: str) -> None:
        self.frames.append(json.loads(frame))

    def send_frames(self, frames: Frames) -> None:
        for frame in frames.texts:
            self.send_text(frame)

    def seqs(self) -> list[int]:
        return [int(f["data"]["seq"]) for f in self.frames]  # type: ignore[index]

    async def until(self, count: int) -> list[int]:
        for _ in range(500):
            if len(self.frames) >= count:
                break
            await asyncio.sleep(0.01)
        return self.seqs()


@pytest.fixture
def parts(io_loop: IOLoop) -> Iterator[tuple[Hub, ScriptedBroker, Source]]:
    broker, source = ScriptedBroker(), Source()
    hub = Hub(broker, source)
    io_loop.run_sync(hub.start)
    yield hub, broker, source
    io_loop.run_sync(hub.stop)


def publication(m: Message) -> Publication:
    return Publication(f"room:{m.room_id}", pack(m.seq, message_frame(m)))


async def member(hub: Hub, room_id: str) -> Conn:
    conn = Conn()
    await hub.join(conn, room_id)
    hub.ready(conn, room_id, 0)
    return conn


async def test_a_gap_is_filled_from_the_store_before_newer_messages(parts):
    hub, broker, source = parts
    conn = await member(hub, "r")
    first, _second, third = (source.store("r", seq) for seq in (1, 2, 3))
    broker.inject(publication(first))
    broker.inject(publication(third))  # 2 was lost on the way
    assert await conn.until(3) == [1, 2, 3]


async def test_a_duplicate_publication_is_dropped(parts):
    hub, broker, source = parts
    conn = await member(hub, "r")
    m = source.store("r", 1)
    broker.inject(publication(m))
    broker.inject(publication(m))
    broker.inject(publication(source.store("r", 2)))
    assert await conn.until(2) == [1, 2]
    await asyncio.sleep(0.05)
    assert conn.seqs() == [1, 2]


async def test_after_an_outage_every_room_catches_up_from_the_store(parts):
    hub, broker, source = parts
    a, b = await member(hub, "a"), await member(hub, "b")
    for seq in (1, 2, 3):
        source.store("a", seq)  # stored while the broker was down: never published here
    source.store("b", 1)
    broker.inject(Resync())
    assert await a.until(3) == [1, 2, 3]
    assert await b.until(1) == [1]


async def test_an_outage_reported_during_a_gap_fill_still_reaches_the_head(parts):
    hub, broker, source = parts
    conn = await member(hub, "r")
    ms = [source.store("r", seq) for seq in (1, 2, 3)]
    source.gate = asyncio.Event()
    broker.inject(publication(ms[2]))  # gap: the fill waits at the gate
    await asyncio.sleep(0.05)
    broker.inject(Resync())
    source.store("r", 4)
    source.store("r", 5)  # stored during the outage, never published
    await asyncio.sleep(0.05)
    source.gate.set()
    assert await conn.until(5) == [1, 2, 3, 4, 5]


async def test_a_failing_store_read_is_retried(parts):
    hub, broker, source = parts
    conn = await member(hub, "r")
    source.store("r", 1)
    source.failures = 2
    broker.inject(Resync())
    assert await conn.until(1) == [1]


async def test_local_members_get_a_message_even_when_the_broker_fails(parts):
    hub, broker, source = parts
    conn = await member(hub, "r")
    broker.fail_publish = True
    with pytest.raises(ConnectionError):
        await hub.publish_message(source.store("r", 1))
    assert conn.seqs() == [1]


async def test_the_broker_copy_of_a_local_message_is_not_delivered_twice(parts):
    hub, broker, source = parts
    conn = await member(hub, "r")
    await hub.publish_message(source.store("r", 1))
    broker.inject(broker.published[0])
    broker.inject(publication(source.store("r", 2)))
    assert await conn.until(2) == [1, 2]
    await asyncio.sleep(0.05)
    assert conn.seqs() == [1, 2]


async def test_business_events_of_one_iteration_leave_as_one_publication_and_one_write(parts):
    """A burst of staff notifications costs one publication and one write per staff connection,
    in the order they were published."""
    hub, broker, _source = parts
    conn = Conn()
    writes: list[int] = []
    conn.send_frames = lambda frames: (writes.append(len(frames.texts)), [conn.send_text(t) for t in frames.texts])  # type: ignore[method-assign]
    await hub.follow_business(conn, "b1")
    for n in range(3):
        await hub.publish_business_event("b1", "chat:room-updated", {"roomId": f"r{n}"})
    for _ in range(5):
        await asyncio.sleep(0)
    assert [p.channel for p in broker.published] == ["business:b1"]
    broker.inject(broker.published[0])
    for _ in range(50):
        if conn.frames:
            break
        await asyncio.sleep(0.01)
    assert [f["data"]["roomId"] for f in conn.frames] == ["r0", "r1", "r2"]  # type: ignore[index]
    assert writes == [3]


async def test_a_failed_business_publication_is_logged_and_the_next_goes_out(parts, caplog):
    hub, broker, _source = parts
    broker.fail_publish = True
    await hub.publish_business_event("b1", "chat:room-updated", {"roomId": "r0"})
    for _ in range(5):
        await asyncio.sleep(0)
    assert "not published" in caplog.text
    broker.fail_publish = False
    await hub.publish_business_event("b1", "chat:room-updated", {"roomId": "r1"})
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(broker.published) == 1


async def test_a_join_that_knows_the_head_reads_nothing_and_a_stale_head_is_healed(parts):
    """The caller's head spares the store read; when it was stale (a message was stored between
    the caller's read and the subscription), the next message shows the gap, the store fills
    it, and the member's cursor keeps what its join reply carried from coming twice."""
    hub, broker, source = parts
    reads: list[str] = []
    get_room = source.get_room

    async def counting_get_room(room_id: str) -> Room | None:
        reads.append(room_id)
        return await get_room(room_id)

    source.get_room = counting_get_room  # type: ignore[method-assign]
    source.store("r", 1)
    source.store("r", 2)  # stored after the caller read the head (1)
    conn = Conn()
    await hub.join(conn, "r", last_seq=1)
    hub.ready(conn, "r", 1)  # its join reply carried seq 1 only
    broker.inject(publication(source.store("r", 3)))
    assert await conn.until(2) == [2, 3]
    assert reads == []
