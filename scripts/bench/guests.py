"""Generator commands of the ``idle`` and ``storm`` workloads, run on a loadgen ``Worker``'s loop.

* ``activate``: one guest per business joins a room of it (``businessId``), sends one message
  and disconnects, ``concurrency`` at a time.
* ``storm_prepare``: ``count`` guests register, each joins a room (``businessId``) and sends one
  message; then all of them disconnect. The worker keeps each one's sessionId, guestId, room and
  the highest ``seq`` it saw.
* ``storm_resume``: from ``start_ns`` on (the shared monotonic clock), every prepared guest
  reconnects with ``?sessionId=``, ``concurrency`` at a time, and rejoins its room with
  ``{roomId, afterSeq}``. A guest counts as resumed when ``guest:registered`` says
  ``resumed: true`` with its own guestId and the join is acknowledged with its room.
* ``chat_start`` / ``chat_stop``: the pairs ``open_pairs`` made exchange messages both ways (or,
  ``one_way``, guest to staff member only) at a fixed rate, in the background until stopped.
  Ack and delivery latency are kept apart for messages sent before ``storm_ns`` and after it;
  each message's delivery to the other side of its room is checked by its clientMsgId.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from scripts.bench.stats import Histogram
from scripts.bench.wire import DIALECTS, Conn, stamp

if TYPE_CHECKING:
    from scripts.bench.loadgen import Worker

JOIN = "chat:join-room"
SEND = "chat:send-message"
OURS = DIALECTS["ours"]
MSG_ID = '"clientMsgId":'


def client_msg_id(text: str) -> str | None:
    """The clientMsgId in a message frame (ack or ``chat:new-message``), without decoding it."""
    i = text.find(MSG_ID)
    if i < 0:
        return None
    j = text.find('"', i + len(MSG_ID))
    if j < 0 or text[i + len(MSG_ID) : j].strip():
        return None  # null
    return text[j + 1 : text.find('"', j + 1)]


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


async def _bounded(jobs: Sequence[Callable[[], Awaitable[None]]], concurrency: int, timeout: float) -> None:
    """Run ``jobs``, ``concurrency`` at a time, for at most ``timeout`` s (then the rest are dropped)."""
    limit = asyncio.Semaphore(max(1, concurrency))

    async def run(job: Callable[[], Awaitable[None]]) -> None:
        async with limit:
            await job()

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(run(job) for job in jobs)), max(0.0, timeout))


@dataclass
class StormGuest:
    session_id: str
    guest_id: str
    room_id: str = ""
    last_seq: int = 0

    def saw(self, text: str) -> None:
        """A ``chat:new-message`` of its room (its own echo, an automated reply)."""
        _, data = OURS.event(text)
        self.last_seq = max(self.last_seq, int(data.get("seq") or 0))


@dataclass
class Sent:
    at_ns: int
    receiver: int  # id() of the connection on the other side of the room
    phase: str


@dataclass
class ChatStats:
    sent: int = 0
    acked: int = 0
    delivered: int = 0
    ack_latency: Histogram = field(default_factory=Histogram)
    latency: Histogram = field(default_factory=Histogram)

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "acked": self.acked,
            "delivered": self.delivered,
            "lost": self.sent - self.delivered,
            "ack_latency": self.ack_latency.to_json(),
            "latency": self.latency.to_json(),
        }


class GuestCommands:
    def __init__(self, worker: Worker) -> None:
        self.w = worker
        self.guests: list[StormGuest] = []
        self.sent: dict[str, Sent] = {}
        self.delivered: set[str] = set()
        self.acked: set[str] = set()
        self.stats: dict[str, ChatStats] = {}
        self.chat_counts: Counter[str] = Counter()
        self.chat_task: asyncio.Task[float] | None = None
        self.stop = asyncio.Event()

    def commands(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]]:
        return {
            "activate": self.activate,
            "storm_prepare": self.storm_prepare,
            "storm_resume": self.storm_resume,
            "chat_start": self.chat_start,
            "chat_stop": self.chat_stop,
        }

    # idle

    async def activate(self, cmd: dict[str, Any]) -> dict[str, Any]:
        dialect, url, businesses = DIALECTS[cmd["dialect"]], cmd["url"], cmd["businesses"]
        session = await self.w._session()
        failures: list[str] = []
        active = 0

        async def one(index: int) -> None:
            nonlocal active
            try:
                conn = await Conn.open(session, dialect, url)
                try:
                    joined = await conn.call(JOIN, {"businessId": businesses[index], "userName": f"Visitor {index}"})
                    content = {"roomId": joined["room"]["_id"], "content": "Hello, is anyone there?"}
                    await conn.call(SEND, {**content, "clientMsgId": f"a{self.w.worker_id}-{index}"})
                    active += 1
                finally:
                    await conn.close()
            except Exception as exc:
                failures.append(_failure(exc))

        jobs = [partial(one, i) for i in range(len(businesses))]
        await _bounded(jobs, cmd.get("concurrency", 50), cmd.get("timeout", 600))
        return {
            "active": active,
            "failed": len(failures),
            "timed_out": len(businesses) - active - len(failures),
            "first_failure": failures[0] if failures else None,
        }

    # storm

    async def storm_prepare(self, cmd: dict[str, Any]) -> dict[str, Any]:
        url, businesses, first = cmd["url"], cmd["businesses"], cmd["first"]
        session = await self.w._session()
        self.guests = []
        opened: list[Conn] = []
        failures: list[str] = []

        async def one(index: int) -> None:
            try:
                conn = await Conn.open(session, OURS, url)
                opened.append(conn)
                guest = StormGuest(conn.hello["sessionId"], conn.hello["guestId"])
                conn.on_event = guest.saw
                business = businesses[(first + index) % len(businesses)]
                joined = await conn.call(JOIN, {"businessId": business, "userName": f"Storm guest {first + index}"})
                guest.room_id = joined["room"]["_id"]
                guest.last_seq = max(guest.last_seq, int(joined["room"].get("lastSeq") or 0))
                content = {"roomId": guest.room_id, "content": "Hello from the storm"}
                ack = await conn.call(SEND, {**content, "clientMsgId": f"p{first + index}"})
                guest.last_seq = max(guest.last_seq, int(ack["seq"]))
                self.guests.append(guest)
            except Exception as exc:
                failures.append(_failure(exc))

        started = time.monotonic()
        jobs = [partial(one, i) for i in range(cmd["count"])]
        await _bounded(jobs, cmd.get("concurrency", 50), cmd.get("timeout", 120))
        prepared_s = time.monotonic() - started
        await asyncio.sleep(0.2)  # echoes and automated replies still on the way raise last_seq
        await asyncio.gather(*(c.close() for c in opened), return_exceptions=True)
        return {
            "prepared": len(self.guests),
            "failed": len(failures),
            "first_failure": failures[0] if failures else None,
            "seconds": prepared_s,
        }

    async def storm_resume(self, cmd: dict[str, Any]) -> dict[str, Any]:
        url, start = cmd["url"], cmd["start_ns"]
        session = await self.w._session()
        await asyncio.sleep(max(0.0, (start - time.monotonic_ns()) / 1e9))
        counts: Counter[str] = Counter()
        failures: list[str] = []
        own, since_start = Histogram(), Histogram()
        last_ns = 0

        async def one(guest: StormGuest) -> None:
            nonlocal last_ns
            began = time.monotonic_ns()
            try:
                conn = await Conn.open(session, OURS, url, session_id=guest.session_id)
            except Exception as exc:
                counts["connect_failed"] += 1
                failures.append(_failure(exc))
                return
            self.w.conns.append(conn)  # stays open until ``close``, as a resumed visitor would
            if conn.hello.get("resumed") is not True:
                counts["not_resumed"] += 1
                return
            if conn.hello.get("guestId") != guest.guest_id:
                counts["other_guest"] += 1
                return
            try:
                joined = await conn.call(JOIN, {"roomId": guest.room_id, "afterSeq": guest.last_seq})
            except Exception as exc:
                counts["join_failed"] += 1
                failures.append(_failure(exc))
                return
            seqs = [int(m["seq"]) for m in joined.get("messages", [])]
            if joined["room"]["_id"] != guest.room_id or any(s <= guest.last_seq for s in seqs):
                counts["wrong_join"] += 1
                return
            now = time.monotonic_ns()
            counts["resumed"] += 1
            counts["caught_up_messages"] += len(seqs)
            own.add(max(1, (now - began) // 1000))
            since_start.add(max(1, (now - start) // 1000))
            last_ns = max(last_ns, now)

        jobs = [partial(one, g) for g in self.guests]
        await _bounded(jobs, cmd.get("concurrency", 50), cmd["timeout"] - (time.monotonic_ns() - start) / 1e9)
        resumed = counts.pop("resumed", 0)
        caught_up = counts.pop("caught_up_messages", 0)
        failed = sum(counts.values())
        return {
            "guests": len(self.guests),
            "resumed": resumed,
            "failed": failed,
            "failures": dict(counts),
            "lost": len(self.guests) - resumed - failed,
            "first_failure": failures[0] if failures else None,
            "last_resumed_s": round((last_ns - start) / 1e9, 3) if last_ns else None,
            "caught_up_messages": caught_up,
            "resume_latency": own.to_json(),
            "resumed_since_start": since_start.to_json(),
        }

    # the chatting pairs

    async def chat_start(self, cmd: dict[str, Any]) -> dict[str, Any]:
        pairs = list(zip(self.w.senders, self.w.receivers, strict=True))
        routes = [(s.conn, s.room_id, staff) for s, staff in pairs]
        if not cmd.get("one_way"):  # ``one_way``: the guests send, the staff members only receive
            routes += [(staff, s.room_id, s.conn) for s, staff in pairs]
        self.sent, self.delivered, self.acked = {}, set(), set()
        self.stats = {"before": ChatStats(), "storm": ChatStats()}
        self.chat_counts = Counter()
        self.stop.clear()
        for key, conn in {id(c): c for route in routes for c in (route[0], route[2])}.items():
            conn.on_event = lambda text, me=key: self._delivered(text, me)
            conn.on_ack = self._acked
        self.chat_task = asyncio.create_task(self._chat(cmd, routes))
        return {"routes": len(routes)}

    async def _chat(self, cmd: dict[str, Any], routes: list[tuple[Conn, str, Conn]]) -> float:
        """Open loop, ``rate`` msg/s each way (all pairs together), round-robin over the routes;
        returns the largest delay behind schedule (ms)."""
        interval = 1e9 / ((1 if cmd.get("one_way") else 2) * cmd["rate"])
        due, storm_ns, pad = float(cmd["start_ns"]), cmd["storm_ns"], cmd.get("pad", 64)
        ids, max_lag = itertools.count(1), 0.0
        for sender, room_id, receiver in itertools.cycle(routes):
            if self.stop.is_set():
                break
            now = time.monotonic_ns()
            if due > now:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), (due - now) / 1e9)
                if self.stop.is_set():
                    break
                now = time.monotonic_ns()
            max_lag = max(max_lag, (now - due) / 1e6)
            msg_id = f"c{self.w.worker_id}-{next(ids)}"
            phase = "before" if now < storm_ns else "storm"
            self.sent[msg_id] = Sent(now, id(receiver), phase)
            self.stats[phase].sent += 1
            await sender.send(SEND, {"roomId": room_id, "content": stamp(pad), "clientMsgId": msg_id})
            due += interval
        return max_lag

    def _delivered(self, text: str, me: int) -> None:
        msg_id = client_msg_id(text)
        sent = self.sent.get(msg_id or "")
        if sent is None or sent.receiver != me:
            return  # not ours, or the echo to its sender
        if msg_id in self.delivered:
            self.chat_counts["duplicates"] += 1
            return
        self.delivered.add(msg_id or "")
        stats = self.stats[sent.phase]
        stats.delivered += 1
        stats.latency.add(max(1, (time.monotonic_ns() - sent.at_ns) // 1000))

    def _acked(self, text: str) -> None:
        msg_id = client_msg_id(text)
        sent = self.sent.get(msg_id or "")
        if sent is None or msg_id in self.acked:
            self.chat_counts["stray_acks" if msg_id else "errors"] += 1  # an error ack has no message
            return
        self.acked.add(msg_id or "")
        stats = self.stats[sent.phase]
        stats.acked += 1
        stats.ack_latency.add(max(1, (time.monotonic_ns() - sent.at_ns) // 1000))

    async def chat_stop(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Stop sending; wait up to ``drain`` s until every message was acked and delivered."""
        self.stop.set()
        max_lag = await self.chat_task if self.chat_task is not None else 0.0
        deadline = time.monotonic() + cmd.get("drain", 3.0)
        pending = len(self.sent)
        while time.monotonic() < deadline and (len(self.delivered) < pending or len(self.acked) < pending):
            await asyncio.sleep(0.05)
        for conn in self.w.conns:
            conn.on_event = conn.on_ack = None
        return {
            **{phase: stats.to_json() for phase, stats in self.stats.items()},
            "duplicates": self.chat_counts["duplicates"],
            "errors": self.chat_counts["errors"],
            "max_lag_ms": round(max_lag, 3),
            "closed": sum(1 for c in self.w.conns if c.closed.is_set()),
        }
