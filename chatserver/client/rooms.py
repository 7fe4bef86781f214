"""What the client keeps per followed room to deliver its messages once and in ``seq`` order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from chatserver.client.buffer import EventBuffer
from chatserver.client.connection import Connection
from chatserver.client.errors import AckTimeout, AuthRejected, ClientClosed, ConnectionClosed, RequestFailed
from chatserver.client.models import ROOM_LOST, Event, Joined, Message
from chatserver.client.options import ClientOptions
from chatserver.protocol import ErrorCode, events

log = logging.getLogger("chatserver.client")

ROOM_GONE = {ErrorCode.FORBIDDEN.value, ErrorCode.NOT_FOUND.value}


@dataclass(eq=False)
class RoomState:
    last_seq: int  # the highest seq handed to the application
    syncing: bool = False
    overflowed: bool = False  # held messages were dropped: read history again before finishing
    held: dict[int, Event] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None

    def hold(self, seq: int, event: Event, limit: int) -> None:
        if len(self.held) >= limit:
            self.held.clear()  # they will be read back from history
            self.overflowed = True
        self.held[seq] = event


class RoomTracker:
    """Every followed room's state, and the catch-up that fills gaps from history.

    Live messages are handed to the application when they are the room's next ``seq``. Anything
    else — a gap, a full buffer, a resume after reconnecting — holds the room's live messages
    and reads history from ``last_seq`` (join with ``afterSeq`` when resuming), merging both.
    """

    def __init__(
        self,
        events_out: EventBuffer[Event],
        options: ClientOptions,
        *,
        live: Callable[[], Awaitable[Connection]],
        drop: Callable[[], None],
        delay: Callable[[int], float],
        spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]],
    ) -> None:
        self._events = events_out
        self._options = options
        self._live = live
        self._drop = drop
        self._delay = delay
        self._spawn = spawn
        self.rooms: dict[str, RoomState] = {}
        self.orphans: dict[str, list[Event]] = {}  # messages that arrived before their join's reply
        self.joins_in_flight = 0

    def last_seq(self, room_id: str) -> int | None:
        state = self.rooms.get(room_id)
        return None if state is None else state.last_seq

    def forget_all(self) -> None:
        for state in self.rooms.values():
            if state.task is not None:
                state.task.cancel()
        self.rooms.clear()

    def resume_all(self) -> None:
        """After reconnecting: catch every room up from its ``last_seq``."""
        for room_id in list(self.rooms):
            self.start_sync(room_id, resume=True)

    def joined(self, reply: dict[str, Any], after_seq: int | None) -> Joined:
        """Start following the room of a join reply."""
        room = reply["room"]
        rid = str(room["_id"])
        messages = [Message.from_wire(m) for m in reply.get("messages", [])]
        has_more = bool(reply.get("hasMore"))
        early = self.orphans.pop(rid, [])
        state = self.rooms.get(rid)
        if state is not None:
            joined = Joined(room, messages, has_more)
        elif after_seq is None:
            head = messages[-1].seq if messages else 0
            if not has_more:
                head = max(head, int(room.get("lastSeq", 0)))
            self.rooms[rid] = RoomState(last_seq=head)
            joined = Joined(room, messages, has_more)
        else:
            state = self.rooms[rid] = RoomState(last_seq=after_seq, syncing=True)
            pushed = [Event(_event_of(m), m.raw) for m in messages]
            self.start_sync(rid, first=(pushed, has_more))
            joined = Joined(room, [], has_more)
        for event in early:
            self.on_message(event)
        if not self.joins_in_flight:
            for leftover in [e for events_ in self.orphans.values() for e in events_]:
                self.on_message(leftover)
            self.orphans.clear()
        return joined

    def on_message(self, event: Event) -> None:
        """A pushed message: delivered if it is the room's next, held (and the room caught up) otherwise."""
        try:
            message = Message.from_wire(event.data)
        except (KeyError, TypeError, ValueError):
            log.warning("ignoring a malformed %s", event.name)
            return
        state = self.rooms.get(message.room_id)
        if state is None:
            if self.joins_in_flight:  # probably the room being joined: wait for the join's reply
                early = self.orphans.setdefault(message.room_id, [])
                if len(early) < self._options.max_held:
                    early.append(event)
                return
            state = self.rooms[message.room_id] = RoomState(last_seq=message.seq - 1)  # followed by sending
        if message.seq <= state.last_seq:
            return
        if state.syncing:
            state.hold(message.seq, event, self._options.max_held)
            return
        if message.seq == state.last_seq + 1 and self._events.offer(event):
            state.last_seq = message.seq
            return
        state.hold(message.seq, event, self._options.max_held)  # a gap, or the application is behind
        self.start_sync(message.room_id)

    def start_sync(self, room_id: str, *, resume: bool = False, first: tuple[list[Event], bool] | None = None) -> None:
        state = self.rooms[room_id]
        if state.task is not None and not state.task.done():
            if not resume:
                return
            state.task.cancel()
        state.syncing = True
        state.task = self._spawn(self._sync(room_id, state, resume=resume, first=first))

    async def _sync(
        self, room_id: str, state: RoomState, *, resume: bool, first: tuple[list[Event], bool] | None
    ) -> None:
        """Read the room from ``last_seq`` to its head (join with ``afterSeq`` when resuming, then
        history while ``hasMore``), merging messages held meanwhile; then live delivery resumes."""
        attempt = 0
        page = first
        while True:
            try:
                conn = await self._live()
                if page is None:
                    event = events.JOIN_ROOM if resume else events.HISTORY
                    reply = await conn.call(
                        event,
                        {"roomId": room_id, "afterSeq": state.last_seq, "limit": self._options.page_size},
                        timeout=self._options.ack_timeout,
                    )
                    resume = False
                    items = [Event(_event_of(Message.from_wire(m)), m) for m in reply.get("messages", [])]
                    page = (items, bool(reply.get("hasMore")))
                for item in page[0]:
                    await self._deliver(state, item)
                await self._drain(state)
                behind = bool(state.held) and min(state.held) > state.last_seq + 1
                if not (page[1] or state.overflowed or behind):
                    break
                state.overflowed = False
                page = None
            except RequestFailed as exc:
                if exc.code in ROOM_GONE:
                    self.rooms.pop(room_id, None)
                    self._events.offer(Event(ROOM_LOST, {"roomId": room_id, "code": exc.code, "message": exc.message}))
                    return
                await asyncio.sleep(self._delay(attempt))
                attempt += 1
                page = None
            except AckTimeout:
                self._drop()
                return  # the reconnect resumes this room
            except ConnectionClosed:
                return  # the reconnect resumes this room
            except (ClientClosed, AuthRejected):
                return  # the client stopped
        state.syncing = False

    async def _deliver(self, state: RoomState, event: Event) -> None:
        seq = int(event.data["seq"])
        if seq <= state.last_seq:
            return
        await self._events.put(event)
        state.last_seq = seq

    async def _drain(self, state: RoomState) -> None:
        while state.held:
            low = min(state.held)
            if low > state.last_seq + 1:
                return
            event = state.held.pop(low)
            await self._deliver(state, event)


def _event_of(message: Message) -> str:
    return events.FAQ_RESPONSE if message.faq_id else events.NEW_MESSAGE
