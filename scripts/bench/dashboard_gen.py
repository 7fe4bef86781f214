"""Generator commands of the ``dashboard`` workload, run on a loadgen ``Worker``'s loop.

* ``open_dashboards``: staff connections (one token each) that only listen, as dashboards do
  (``staffview.StaffView``). Each keeps its room list: the ``lastSeq`` of the newest
  ``chat:room-created`` / ``chat:room-updated`` it got for every room.
* ``open_dashboard_rooms``: ``count`` guests each join a room of ``business`` (``businessId``).
* ``dashboard_watch``: the views count ``chat:room-updated`` frames in the measured window; a
  few of them (``sample`` per process) also log when each room's ``lastSeq`` first rose.
* ``dashboard_send``: the guests send ``rate`` msg/s round-robin, open loop, from ``start_ns``
  for ``duration`` s, then wait up to ``drain`` s for the acks. Returns the ack latency, each
  room's last seq (the highest the guest saw in an ack or in its own room's messages) and, for
  the measured messages, (room, seq, ack time).
* ``dashboard_check``: waits (until ``until_ns``) for every view to hold each room's last seq;
  returns the rooms stale per view, when the views last changed, and the delay from each
  measured message's ack to the first row reflecting it at the sampled views.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from scripts.bench.guests import _bounded, _failure
from scripts.bench.staffview import StaffView
from scripts.bench.stats import Histogram
from scripts.bench.wire import DIALECTS, Conn, sent_at, stamp

if TYPE_CHECKING:
    from scripts.bench.loadgen import Worker

JOIN = "chat:join-room"
SEND = "chat:send-message"
OURS = DIALECTS["ours"]
SEQ = '"seq":'


def seq_of(text: str) -> int:
    """The ``seq`` of a message frame (a send's ack, a ``chat:new-message``); -1 when none."""
    i = text.find(SEQ)
    if i < 0:
        return -1
    i += len(SEQ)
    return int(text[i : text.index(",", i)])


class DashboardCommands:
    def __init__(self, worker: Worker) -> None:
        self.w = worker
        self.views: list[StaffView] = []
        self.guests: list[tuple[Conn, str]] = []  # (connection, room id)

    def commands(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]]:
        return {
            "open_dashboards": self.open_dashboards,
            "open_dashboard_rooms": self.open_dashboard_rooms,
            "dashboard_watch": self.dashboard_watch,
            "dashboard_send": self.dashboard_send,
            "dashboard_check": self.dashboard_check,
            "dashboard_close": self.dashboard_close,
        }

    async def open_dashboards(self, cmd: dict[str, Any]) -> dict[str, Any]:
        failures: list[str] = []

        async def one(token: str) -> None:
            try:
                self.views.append(await StaffView.open(cmd["url"], token))
            except Exception as exc:
                failures.append(_failure(exc))

        await _bounded([partial(one, t) for t in cmd["tokens"]], cmd.get("concurrency", 50), cmd.get("timeout", 120))
        return {"opened": len(self.views), "failed": len(failures), "first_failure": failures[0] if failures else None}

    async def open_dashboard_rooms(self, cmd: dict[str, Any]) -> dict[str, Any]:
        session = await self.w._session()
        opened: dict[int, tuple[Conn, str]] = {}

        async def one(index: int) -> None:
            conn = await Conn.open(session, OURS, cmd["url"])
            self.w.conns.append(conn)
            joined = await conn.call(JOIN, {"businessId": cmd["business"], "userName": f"Dashboard guest {index}"})
            opened[index] = (conn, joined["room"]["_id"])

        await self.w._bounded([partial(one, i) for i in range(cmd["count"])], cmd.get("concurrency", 50))
        self.guests = [opened[i] for i in sorted(opened)]
        return {"rooms": [room for _, room in self.guests]}

    async def dashboard_watch(self, cmd: dict[str, Any]) -> dict[str, Any]:
        start = cmd["start_ns"] + int(cmd["warmup"] * 1e9)
        end = cmd["start_ns"] + int(cmd["duration"] * 1e9)
        every = max(1, len(self.views) // max(1, cmd.get("sample", 3)))
        for index, view in enumerate(self.views):
            view.window, view.updates, view.regressions = (start, end), 0, 0
            view.log = {} if index % every == 0 else None
        return {"views": len(self.views), "sampled": sum(1 for v in self.views if v.log is not None)}

    async def dashboard_send(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Open loop, round-robin over the guests, as ``Worker.measure`` sends."""
        rate, pad, start = cmd["rate"], cmd.get("pad", 64), cmd["start_ns"]
        warm_end, send_end = start + int(cmd["warmup"] * 1e9), start + int(cmd["duration"] * 1e9)
        last = [0] * len(self.guests)
        acks: list[list[int]] = []  # measured messages: [room index, seq, ack ns]
        ack_latency = Histogram()
        worst_by_second: list[int] = []  # the slowest ack (µs) of the messages sent in each second
        counts = {"acked": 0, "acked_measured": 0, "acked_in_window": 0, "errors": 0}

        def on_ack(index: int, text: str) -> None:
            now = time.monotonic_ns()
            sent, seq = sent_at(text), seq_of(text)
            if sent < 0 or seq < 0:
                counts["errors"] += 1
                return
            counts["acked"] += 1
            last[index] = max(last[index], seq)
            second, us = max(0, (sent - start) // 1_000_000_000), (now - sent) // 1000
            while len(worst_by_second) <= second:
                worst_by_second.append(0)
            worst_by_second[second] = max(worst_by_second[second], us)
            if warm_end <= now < send_end:
                counts["acked_in_window"] += 1
            if warm_end <= sent < send_end:
                counts["acked_measured"] += 1
                ack_latency.add(max(1, (now - sent) // 1000))
                acks.append([index, seq, now])

        def on_message(index: int, text: str) -> None:
            last[index] = max(last[index], seq_of(text))

        for index, (conn, _) in enumerate(self.guests):
            conn.on_ack = partial(on_ack, index)
            conn.on_event = partial(on_message, index)
        await asyncio.sleep(max(0.0, (start - time.monotonic_ns()) / 1e9))
        sent_total = sent_measured = 0
        max_lag_ms, interval, due = 0.0, 1e9 / rate, float(start)
        guests = itertools.cycle(enumerate(self.guests))
        while (now := time.monotonic_ns()) < send_end:
            if due > now:
                await asyncio.sleep((due - now) / 1e9)
                continue
            max_lag_ms = max(max_lag_ms, (now - due) / 1e6)
            index, (conn, room) = next(guests)
            sent_measured += now >= warm_end
            msg_id = f"d{self.w.worker_id}-{next(self.w.msg_ids)}"
            await conn.send(SEND, {"roomId": room, "content": stamp(pad), "clientMsgId": msg_id})
            sent_total += 1
            due += interval
        deadline = time.monotonic() + cmd.get("drain", 3.0)
        while counts["acked"] + counts["errors"] < sent_total and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)  # echoes of the last messages (and any automated reply) raise ``last``
        for conn, _ in self.guests:
            conn.on_ack = conn.on_event = None
        return {
            **counts,
            "sent": sent_total,
            "sent_measured": sent_measured,
            "window_s": (send_end - warm_end) / 1e9,
            "max_lag_ms": round(max_lag_ms, 3),
            "ack_latency": ack_latency.to_json(),
            "ack_worst_ms_by_second": [round(us / 1000, 1) for us in worst_by_second],
            "last_seqs": last,
            "acks": acks,
            "closed": sum(1 for c, _ in self.guests if c.closed.is_set()),
        }

    async def dashboard_check(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """``rooms`` and ``last_seqs``: each room's id and last seq; ``acks``: [room index, seq,
        ack ns] of the measured messages."""
        rooms = [room.encode() for room in cmd["rooms"]]
        truth = list(zip(rooms, cmd["last_seqs"], strict=True))

        def stale(view: StaffView) -> int:
            seqs = view.seqs
            return sum(1 for room, seq in truth if seqs.get(room) != seq)

        waiting = list(self.views)
        while waiting and time.monotonic_ns() < cmd["until_ns"]:
            waiting = [v for v in waiting if stale(v)]
            if waiting:
                await asyncio.sleep(0.05)
        delays, unreflected = Histogram(), 0
        for view in self.views:
            if view.log is None:
                continue
            for index, seq, acked_ns in cmd["acks"]:
                seqs, times = view.log.get(rooms[index], ([], []))
                at = bisect.bisect_left(seqs, seq)
                if at == len(seqs):
                    unreflected += 1
                else:
                    delays.add(max(1, (times[at] - acked_ns) // 1000))
        return {
            "stale": [stale(v) for v in self.views],
            "updates": [v.updates for v in self.views],
            "regressions": sum(v.regressions for v in self.views),
            "changed_ns": max((v.changed_ns for v in self.views), default=0),
            "reflect": delays.to_json(),
            "unreflected": unreflected,
            "sampled": sum(1 for v in self.views if v.log is not None),
            "closed": sum(1 for v in self.views if v.closed.is_set()),
        }

    async def dashboard_close(self, _cmd: dict[str, Any]) -> dict[str, Any]:
        views, self.views, self.guests = self.views, [], []
        for view in views:
            view.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(v.closed.wait() for v in views)), 10)
        return {**await self.w.close({}), "views": len(views)}
