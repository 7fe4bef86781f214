"""The hub with the real in-process broker: ordering, cursors, resync, unsubscribe on last leave."""

from __future__ import annotations

import asyncio
import json

from chatserver.adapters.memory.broker import MemoryBroker
from chatserver.domain.models import Message, Room, SenderType
from chatserver.fanout.hub import Frames, Hub, message_frame, pack
from chatserver.ports.broker import Resync, room_channel


class Source:
    def __init__(self) -> None:
        self.messages: dict[int, Message] = {}
        self.reads = 0

    def add(self, seq: int) -> Message:
        msg = Message(f"m{seq}", "r1", seq, "g", SenderType.GUEST, "G", True, f"c{seq}", seq)
        self.messages[seq] = msg
        return msg

    async def get_room(self, room_id: str) -> Room | None:
        last = max(self.messages, default=0)
        return Room(room_id, "b", "n", "guest", None, "G", True, "g", None, None, None, (), True, None, None, last, 0)

    async def list_messages(self, room_id, *, before_seq, after_seq, limit):
        self.reads += 1
        seqs = sorted(
            s for s in self.messages if (after_seq is None or s > after_seq) and (before_seq is None or s < before_seq)
        )
        return [self.messages[s] for s in seqs[:limit]]


class Conn:
    def __init__(self) -> None:
        self.frames: list[dict] = []

    def send_text(self, frame: str) -> None:
        self.frames.append(json.loads(frame))

    def send_frames(self, frames: Frames) -> None:
        for frame in frames.texts:
            self.send_text(frame)

    @property
    def seqs(self) -> list[int]:
        return [f["data"]["seq"] for f in self.frames if "seq" in f["data"]]


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def _hub(source: Source) -> tuple[Hub, MemoryBroker]:
    broker = MemoryBroker()
    hub = Hub(broker, source)
    await hub.start()
    return hub, broker


async def test_in_order_publications_are_delivered_once_each():
    source = Source()
    hub, broker = await _hub(source)
    conn = Conn()
    await hub.join(conn, "r1")
    hub.ready(conn, "r1", 0)
    for seq in (1, 2, 2, 3, 1):
        await broker.publish(room_channel("r1"), pack(seq, message_frame(source.add(seq))))
    await _settle()
    assert conn.seqs == [1, 2, 3]
    await hub.stop()


async def test_a_gap_is_filled_from_the_store_before_newer_messages():
    source = Source()
    hub, broker = await _hub(source)
    conn = Conn()
    await hub.join(conn, "r1")
    hub.ready(conn, "r1", 0)
    for seq in (1, 2, 3, 4):
        source.add(seq)
    await broker.publish(room_channel("r1"), pack(4, message_frame(source.messages[4])))
    await broker.publish(room_channel("r1"), pack(2, message_frame(source.messages[2])))
    await _settle()
    assert conn.seqs == [1, 2, 3, 4]
    await hub.stop()


async def test_member_cursor_skips_what_the_join_reply_already_held():
    source = Source()
    for seq in (1, 2, 3):
        source.add(seq)
    hub, broker = await _hub(source)
    early, late = Conn(), Conn()
    await hub.join(early, "r1")
    hub.ready(early, "r1", 3)
    await hub.join(late, "r1")
    source.add(4)
    await broker.publish(room_channel("r1"), pack(4, message_frame(source.messages[4])))
    await _settle()
    assert early.seqs == [4] and late.seqs == []  # late has not been answered yet: held
    hub.ready(late, "r1", 4)  # its join reply already contained 4
    source.add(5)
    await broker.publish(room_channel("r1"), pack(5, message_frame(source.messages[5])))
    await _settle()
    assert early.seqs == [4, 5] and late.seqs == [5]
    await hub.stop()


async def test_resync_catches_every_room_up_from_the_store():
    source = Source()
    hub, broker = await _hub(source)
    conn = Conn()
    await hub.join(conn, "r1")
    hub.ready(conn, "r1", 0)
    for seq in (1, 2, 3):
        source.add(seq)  # stored while the broker was away: never published here
    await broker._queue.put(Resync())
    await _settle()
    assert conn.seqs == [1, 2, 3]
    await hub.stop()


async def test_last_member_leaving_unsubscribes():
    source = Source()
    hub, broker = await _hub(source)
    a, b = Conn(), Conn()
    await hub.join(a, "r1")
    await hub.join(b, "r1")
    await hub.leave(a, "r1")
    assert room_channel("r1") in broker._channels
    await hub.leave_all(b)
    assert room_channel("r1") not in broker._channels
    await hub.stop()
