"""Local fan-out: which connections of this instance follow which channels, in ``seq`` order.

The broker moves publications between instances (bytes in ``protocol.broker_codec``'s format);
the hub delivers them to local connections.
Per room it keeps the last delivered ``seq``: a duplicate is dropped, a gap is filled from the
store before anything newer is delivered, and after a broker outage (``Resync``) every room
catches up from the store. Each member has its own cursor, so a connection never gets a message
twice, including one it already received in a join or history reply.

A stored message is delivered to this instance's members at once and then published, so local
members do not depend on the broker (during a Redis outage they still get every message); the
broker's copy is then dropped as a duplicate by ``seq``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from chatserver.domain.models import Message, Room
from chatserver.ports.broker import Broker, Publication, Resync, business_channel, room_channel
from chatserver.ports.telemetry import NoTelemetry, Telemetry
from chatserver.protocol import encode_frame
from chatserver.protocol.broker_codec import message_frame, pack, pack_frames, split_frames, unpack_timed

log = logging.getLogger("chatserver.hub")

FILL_PAGE = 100
FILL_CONCURRENCY = 8  # rooms reading the store at once after a broker outage
FILL_RETRY_CAP_S = 5.0


@dataclass(eq=False, slots=True)
class Frames:
    """Frames for the same receivers, written to each of them in one go.

    A business's staff notifications come in bursts (a dashboard's list rows): one socket
    write per row per staff connection was most of what a business with hundreds of staff
    connections cost. ``encoded`` is the transport's encoding of all of them, made by the
    first receiver and reused by the others."""

    texts: tuple[str, ...]
    encoded: bytes | None = None


class Connection(Protocol):
    """What the hub needs from a transport connection."""

    def send_text(self, frame: str) -> None:
        """Queue one frame; must not block. The transport bounds its own queue."""
        ...

    def send_frames(self, frames: Frames) -> None:
        """Queue several frames, in order, as ``send_text`` would one by one."""
        ...


class RoomSource(Protocol):
    """The slice of the store the hub reads to fill gaps."""

    async def get_room(self, room_id: str) -> Room | None: ...
    async def list_messages(
        self, room_id: str, *, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[Message]: ...


@dataclass(eq=False)
class _Member:
    cursor: int | None = None  # None: join not answered yet, deliveries wait in ``buffer``
    buffer: list[tuple[int, str]] = field(default_factory=list)


@dataclass(eq=False)
class _RoomStream:
    room_id: str
    members: dict[Connection, _Member] = field(default_factory=dict)
    last_seq: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    catching_up: bool = True  # until subscribed and initialized, everything goes to ``pending``
    pending: dict[int, str] = field(default_factory=dict)
    resyncs: int = 0  # broker outages seen while following the room
    resyncs_done: int = 0  # outages after which the room was read up to the store's head


class Hub:
    def __init__(
        self,
        broker: Broker,
        source: RoomSource,
        *,
        on_deliver: Callable[[int], None] | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._broker = broker
        self._source = source
        self._rooms: dict[str, _RoomStream] = {}
        self._topics: dict[str, set[Connection]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._on_deliver = on_deliver
        self._telemetry = telemetry or NoTelemetry()
        self._fill_slots = asyncio.Semaphore(FILL_CONCURRENCY)
        self._business_out: dict[str, list[str]] = {}  # business -> frames not yet published

    # lifecycle

    async def start(self) -> None:
        await self._broker.connect()
        self._listener = asyncio.create_task(self._listen(), name="hub-listener")

    async def stop(self) -> None:
        tasks = [t for t in [self._listener, *self._tasks] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._broker.close()

    async def _listen(self) -> None:
        """Supervised: one bad publication is logged and skipped; cancellation ends the loop."""
        while True:
            item = await self._broker.next_published()
            try:
                if isinstance(item, Resync):
                    self._resync_all()
                else:
                    self._dispatch(item)
            except Exception:
                log.exception("hub: dropping a publication it could not handle")

    # rooms

    async def join(self, conn: Connection, room_id: str, *, last_seq: int | None = None) -> None:
        """Follow a room. Deliveries are held until ``ready`` tells what the client already has.

        ``last_seq``: the room's head as the caller just read it, which spares the store read
        of a room this instance does not follow yet. A head that is already stale by the time
        the channel is subscribed is no loss: the next message shows the gap and it is filled
        from the store, and the members' cursors drop what their join reply already carried."""
        stream = self._rooms.get(room_id)
        if stream is None:
            stream = self._rooms[room_id] = _RoomStream(room_id)
            stream.members[conn] = _Member()
            self._spawn(self._open_stream(stream, last_seq))
        else:
            stream.members.setdefault(conn, _Member())
        await stream.ready.wait()

    def ready(self, conn: Connection, room_id: str, upto_seq: int) -> None:
        """The client holds everything up to ``upto_seq``; send it what came after, in order."""
        stream = self._rooms.get(room_id)
        member = stream.members.get(conn) if stream else None
        if member is None:
            return
        if member.cursor is not None:
            member.cursor = max(member.cursor, upto_seq)
            return
        member.cursor = upto_seq
        for seq, frame in sorted(member.buffer):
            if seq > member.cursor:
                conn.send_text(frame)
                member.cursor = seq
        member.buffer.clear()

    def is_member(self, conn: Connection, room_id: str) -> bool:
        stream = self._rooms.get(room_id)
        return stream is not None and conn in stream.members

    async def leave(self, conn: Connection, room_id: str) -> None:
        stream = self._rooms.get(room_id)
        if stream is None or stream.members.pop(conn, None) is None:
            return
        if not stream.members:
            del self._rooms[room_id]
            await self._broker.unsubscribe(room_channel(room_id))

    # business topics (staff notifications)

    async def follow_business(self, conn: Connection, business_id: str) -> None:
        channel = business_channel(business_id)
        subscribers = self._topics.setdefault(channel, set())
        subscribers.add(conn)
        if len(subscribers) == 1:
            await self._broker.subscribe(channel)

    async def follow_channel(self, conn: Connection, channel: str) -> None:
        """An instance-wide signal channel (``signal:<name>``), delivered like a business's frames."""
        subscribers = self._topics.setdefault(channel, set())
        subscribers.add(conn)
        if len(subscribers) == 1:
            await self._broker.subscribe(channel)

    async def unfollow_business(self, conn: Connection, business_id: str) -> None:
        channel = business_channel(business_id)
        subscribers = self._topics.get(channel)
        if subscribers is None or conn not in subscribers:
            return
        subscribers.discard(conn)
        if not subscribers:
            del self._topics[channel]
            await self._broker.unsubscribe(channel)

    async def leave_all(self, conn: Connection) -> None:
        for room_id in [r for r, s in self._rooms.items() if conn in s.members]:
            await self.leave(conn, room_id)
        for channel in [c for c, subs in self._topics.items() if conn in subs]:
            await self.unfollow_business(conn, channel.partition(":")[2])

    # publishing

    async def publish_message(self, message: Message) -> None:
        """Call after the message is committed: delivered here at once, then every other instance
        delivers it to its members (the broker's copy is dropped here as a duplicate; a broker
        that reaches no other instance is not sent it at all)."""
        frame = message_frame(message)
        stream = self._rooms.get(message.room_id)
        if stream is not None:
            self._receive(stream, message.seq, frame)
        if self._broker.reaches_other_instances:
            await self._broker.publish(room_channel(message.room_id), pack(message.seq, frame))

    async def publish_room_event(self, room_id: str, event: str, data: object) -> None:
        """An event outside the message order (typing, read receipts): delivered as it comes."""
        await self._broker.publish(room_channel(room_id), pack(0, encode_frame(event, data)))

    async def publish_business_event(self, business_id: str, event: str, data: object) -> None:
        """Queued, in order: the business's events of one loop iteration (more of them the busier
        the server is) leave as one publication and reach each staff connection in one write."""
        queued = self._business_out.get(business_id)
        if queued is not None:
            queued.append(encode_frame(event, data))  # its publisher is about to run
            return
        self._business_out[business_id] = [encode_frame(event, data)]
        self._spawn(self._publish_business(business_id))

    async def _publish_business(self, business_id: str) -> None:
        """One publisher per business at a time, so its publications keep their order."""
        try:
            while frames := self._business_out.get(business_id):
                self._business_out[business_id] = []
                try:
                    await self._broker.publish(business_channel(business_id), pack_frames(frames))
                except Exception:
                    # best effort, as ever: a dashboard that missed a row reads the list again
                    log.exception("hub: %d staff notification(s) not published", len(frames))
        finally:
            self._business_out.pop(business_id, None)

    # delivery

    def _dispatch(self, publication: Publication) -> None:
        seq, published_at, frame = unpack_timed(publication.payload)
        kind, _, ident = publication.channel.partition(":")
        if kind == "room":
            if seq and published_at is not None:
                self._telemetry.fanout_latency(time.time() - published_at)
            stream = self._rooms.get(ident)
            if stream is None:
                return
            if seq == 0:
                self._deliver_unordered(stream, frame)
            else:
                self._receive(stream, seq, frame)
        else:
            frames = Frames(tuple(split_frames(frame)))
            for conn in list(self._topics.get(publication.channel, ())):
                conn.send_frames(frames)

    def _receive(self, stream: _RoomStream, seq: int, frame: str) -> None:
        if stream.catching_up:
            stream.pending[seq] = frame
        elif seq <= stream.last_seq:
            return
        elif seq == stream.last_seq + 1:
            self._deliver(stream, seq, frame)
        else:
            stream.pending[seq] = frame
            stream.catching_up = True
            self._spawn(self._catch_up(stream))

    def _deliver(self, stream: _RoomStream, seq: int, frame: str) -> None:
        stream.last_seq = seq
        delivered = 0
        for conn, member in stream.members.items():
            if member.cursor is None:
                member.buffer.append((seq, frame))
            elif seq > member.cursor:
                member.cursor = seq
                conn.send_text(frame)
                delivered += 1
        if self._on_deliver is not None:
            self._on_deliver(delivered)
        self._telemetry.delivered(delivered)

    @staticmethod
    def _deliver_unordered(stream: _RoomStream, frame: str) -> None:
        for conn, member in stream.members.items():
            if member.cursor is not None:
                conn.send_text(frame)

    async def _open_stream(self, stream: _RoomStream, known_last_seq: int | None = None) -> None:
        try:
            await self._broker.subscribe(room_channel(stream.room_id))
            if known_last_seq is not None:
                stream.last_seq = known_last_seq
            else:
                room = await self._source.get_room(stream.room_id)
                stream.last_seq = room.last_seq if room else 0
        except Exception:
            # last_seq stays 0: catching up re-reads more than needed, and member cursors
            # still keep every connection free of duplicates
            log.exception("hub: could not open room %s cleanly", stream.room_id)
        finally:
            stream.ready.set()
        await self._catch_up(stream, to_head=False)

    async def _catch_up(self, stream: _RoomStream, *, to_head: bool = False) -> None:
        """Deliver pending publications in order, reading whatever is missing from the store.

        With ``to_head`` (after a broker outage) also read everything newer than ``last_seq``;
        an outage reported while this runs extends it to the head too. A failing store read is
        retried with capped backoff while the room still has members here.
        """
        if to_head:
            stream.resyncs += 1
        attempt = 0
        try:
            while True:
                try:
                    await self._fill(stream)
                    return
                except Exception:
                    if self._rooms.get(stream.room_id) is not stream:
                        return
                    attempt += 1
                    log.warning("hub: catching up room %s failed (attempt %d)", stream.room_id, attempt, exc_info=True)
                    await asyncio.sleep(min(FILL_RETRY_CAP_S, 0.05 * 2**attempt))
        finally:
            stream.catching_up = False

    async def _fill(self, stream: _RoomStream) -> None:
        while True:
            for seq in sorted(s for s in stream.pending if s <= stream.last_seq):
                del stream.pending[seq]
            nxt = stream.last_seq + 1
            if nxt in stream.pending:
                self._deliver(stream, nxt, stream.pending.pop(nxt))
                continue
            wanted_head = stream.resyncs
            if not stream.pending and stream.resyncs_done >= wanted_head:
                return
            upto = min(stream.pending) if stream.pending else None
            async with self._fill_slots:
                missing = await self._source.list_messages(
                    stream.room_id, before_seq=upto, after_seq=stream.last_seq, limit=FILL_PAGE
                )
            if missing and missing[0].seq > stream.last_seq + 1:
                log.warning("hub: room %s seq %d..%d not in store; skipping", stream.room_id, nxt, missing[0].seq - 1)
                stream.last_seq = missing[0].seq - 1
            for message in missing:
                if message.seq == stream.last_seq + 1:
                    self._deliver(stream, message.seq, message_frame(message))
            if upto is None and len(missing) < FILL_PAGE:
                stream.resyncs_done = max(stream.resyncs_done, wanted_head)
            if not missing and upto is not None:
                log.warning("hub: room %s seq %d..%d not in store; skipping", stream.room_id, nxt, upto - 1)
                stream.last_seq = upto - 1

    def _resync_all(self) -> None:
        for stream in self._rooms.values():
            if stream.catching_up:
                stream.resyncs += 1  # the running catch-up goes on to the head
            else:
                stream.catching_up = True
                self._spawn(self._catch_up(stream, to_head=True))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("hub: background task failed", exc_info=task.exception())
