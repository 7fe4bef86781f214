"""A load-generator worker process: many connections on one asyncio loop, driven over stdin.

The runner starts several of these (``python -m scripts.bench.loadgen <worker-id>``) and sends
each one JSON command per line; every command is answered with one JSON line on stdout. Keeping
the generator in its own processes lets the runner measure its CPU apart from the servers'.

Commands: ``open_pairs``, ``open_room`` / ``join_room`` (fan-out), ``open_idle`` (connect),
``measure`` (send at a fixed rate, count deliveries), ``close``, ``exit``; and those of
``guests.py`` (``activate`` for idle, ``storm_prepare`` / ``storm_resume`` / ``chat_start`` /
``chat_stop`` for storm) and of ``dashboard_gen.py`` (``open_dashboards``, ``open_dashboard_rooms``,
``dashboard_watch``, ``dashboard_send``, ``dashboard_check``, ``dashboard_close``).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from scripts.bench.dashboard_gen import DashboardCommands
from scripts.bench.guests import GuestCommands
from scripts.bench.stats import Histogram
from scripts.bench.wire import DIALECTS, Conn, sent_at, stamp

SEND = "chat:send-message"
JOIN = "chat:join-room"
QUIET_S = 0.5  # a receiving-only worker's drain ends after this long without a delivery


class Sender:
    """A connection that sends into one room."""

    def __init__(self, conn: Conn, room_id: str) -> None:
        self.conn = conn
        self.room_id = room_id


class Worker:
    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id
        self.session: aiohttp.ClientSession | None = None
        self.conns: list[Conn] = []
        self.senders: list[Sender] = []
        self.receivers: list[Conn] = []
        self.msg_ids = itertools.count(1)

    async def _session(self) -> aiohttp.ClientSession:
        if self.session is None:
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self.session

    async def _open(self, dialect: str, url: str, token: str | None = None) -> Conn:
        conn = await Conn.open(await self._session(), DIALECTS[dialect], url, token)
        self.conns.append(conn)
        return conn

    async def _bounded(self, jobs: list[Callable[[], Awaitable[Any]]], concurrency: int) -> list[Any]:
        limit = asyncio.Semaphore(concurrency)

        async def run(job: Callable[[], Awaitable[Any]]) -> Any:
            async with limit:
                return await job()

        return list(await asyncio.gather(*(run(job) for job in jobs)))

    # setup

    async def open_pairs(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """``n`` rooms, each with a guest (on ``guest_url``) and a staff member (on ``staff_url``),
        each room in its own business (``businesses``: a business id and staff token per room)."""
        dialect = cmd["dialect"]

        async def pair(index: int) -> None:
            business, token = cmd["businesses"][index]
            guest = await self._open(dialect, cmd["guest_url"])
            joined = await guest.call(JOIN, {"businessId": business, "userName": f"Guest {index}"})
            room_id = joined["room"]["_id"]
            staff = await self._open(dialect, cmd["staff_url"], token)
            await staff.call(JOIN, {"roomId": room_id})
            self.senders.append(Sender(guest, room_id))
            self.receivers.append(staff)

        await self._bounded([lambda i=i: pair(i) for i in range(cmd["n"])], cmd.get("concurrency", 20))
        return {"senders": len(self.senders), "receivers": len(self.receivers)}

    async def open_room(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """The fan-out room: one guest opens it and will be its only sender."""
        guest = await self._open(cmd["dialect"], cmd["url"])
        joined = await guest.call(JOIN, {"businessId": cmd["business"], "userName": "Fan-out guest"})
        self.senders.append(Sender(guest, joined["room"]["_id"]))
        return {"room_id": joined["room"]["_id"]}

    async def join_room(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """``k`` staff members join the fan-out room."""

        async def member() -> None:
            staff = await self._open(cmd["dialect"], cmd["url"], cmd["staff_token"])
            await staff.call(JOIN, {"roomId": cmd["room_id"]})
            self.receivers.append(staff)

        await self._bounded([member for _ in range(cmd["k"])], cmd.get("concurrency", 50))
        return {"receivers": len(self.receivers)}

    async def open_idle(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Open and register ``count`` guest connections, each joining a room of ``business``
        (when given), and keep them open, idle."""
        failures: list[str] = []
        business = cmd.get("business")

        async def one() -> None:
            try:
                conn = await self._open(cmd["dialect"], cmd["url"])
                if business is not None:
                    await conn.call(JOIN, {"businessId": business, "userName": "Guest"})
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}"[:200])

        started = time.monotonic()
        before = len(self.conns)
        with contextlib.suppress(TimeoutError):  # bounded: report what opened in time
            await asyncio.wait_for(
                self._bounded([one for _ in range(cmd["count"])], cmd.get("concurrency", 100)), cmd.get("timeout", 120)
            )
        opened = len(self.conns) - before
        return {
            "opened": opened,
            "failed": len(failures),
            "timed_out": cmd["count"] - opened - len(failures),
            "first_failure": failures[0] if failures else None,
            "seconds": time.monotonic() - started,
        }

    # measurement

    async def measure(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Send ``rate`` messages/s for ``duration`` s round-robin over this worker's senders
        (open loop: on schedule, whatever the acks do), then wait up to ``drain`` s for the
        rest. Only messages sent after ``warmup`` s count, and deliveries received between
        ``warmup`` and ``duration``. Latency is send-to-delivery at each receiver."""
        rate, duration, warmup = cmd["rate"], cmd["duration"], cmd["warmup"]
        fanout = cmd.get("fanout", 1)  # deliveries expected per message, per worker's receivers
        sample_every = max(1, cmd.get("sample_every", 1))
        pad = cmd.get("pad", 64)
        # every worker measures the same window: the runner names its start on the shared clock
        start = cmd.get("start_ns") or time.monotonic_ns()
        await asyncio.sleep(max(0.0, (start - time.monotonic_ns()) / 1e9))
        warm_end = start + int(warmup * 1e9)
        send_end = start + int(duration * 1e9)
        latency, ack_latency = Histogram(), Histogram()
        counters = {"delivered_in_window": 0, "delivered_measured": 0, "acked": 0, "echoes": 0, "errors": 0}

        def on_delivery(text: str, sampled: bool) -> None:
            now = time.monotonic_ns()
            sent = sent_at(text)
            if sent < 0:
                return
            if warm_end <= now < send_end:
                counters["delivered_in_window"] += 1
            if warm_end <= sent < send_end:
                counters["delivered_measured"] += 1
                if sampled:
                    latency.add(max(1, (now - sent) // 1000))

        def on_ack(text: str) -> None:
            now = time.monotonic_ns()
            sent = sent_at(text)
            if sent < 0:
                counters["errors"] += 1
                return
            if warm_end <= sent < send_end:
                counters["acked"] += 1
                ack_latency.add(max(1, (now - sent) // 1000))

        def on_echo(_text: str) -> None:
            counters["echoes"] += 1

        for index, receiver in enumerate(self.receivers):
            sampled = index % sample_every == 0
            receiver.on_event = lambda text, s=sampled: on_delivery(text, s)
        for sender in self.senders:
            sender.conn.on_ack = on_ack
            if sender.conn not in self.receivers:
                sender.conn.on_event = on_echo

        sent_total = sent_measured = 0
        max_lag_ms = 0.0
        if rate > 0 and self.senders:
            interval = 1e9 / rate
            due = float(start)
            senders = itertools.cycle(self.senders)
            while True:
                now = time.monotonic_ns()
                if now >= send_end:
                    break
                if due > now:
                    await asyncio.sleep((due - now) / 1e9)
                    continue
                max_lag_ms = max(max_lag_ms, (now - due) / 1e6)
                sender = next(senders)
                if now >= warm_end:
                    sent_measured += 1
                await sender.conn.send(
                    SEND,
                    {
                        "roomId": sender.room_id,
                        "content": stamp(pad),
                        "clientMsgId": f"w{self.worker_id}-{next(self.msg_ids)}",
                    },
                )
                sent_total += 1
                due += interval
        else:
            await asyncio.sleep(max(0.0, (send_end - time.monotonic_ns()) / 1e9))

        expected = sent_measured * fanout
        # drain: until everything expected here arrived (a worker that only receives cannot know
        # what to expect, so it waits until deliveries stop), or the drain time is up
        drain_end = time.monotonic() + cmd.get("drain", 3)
        seen, quiet_since = -1, time.monotonic()
        while (now_s := time.monotonic()) < drain_end:
            if counters["delivered_measured"] != seen:
                seen, quiet_since = counters["delivered_measured"], now_s
            complete = counters["delivered_measured"] >= expected and counters["acked"] >= sent_measured
            if complete and (expected > 0 or now_s - quiet_since >= QUIET_S):
                break
            await asyncio.sleep(0.05)
        for conn in self.conns:
            conn.on_event = conn.on_ack = None
        return {
            **counters,
            "sent": sent_total,
            "sent_measured": sent_measured,
            "window_s": (send_end - warm_end) / 1e9,
            "max_lag_ms": round(max_lag_ms, 3),
            "latency": latency.to_json(),
            "ack_latency": ack_latency.to_json(),
            "expected": expected,
            "closed": sum(1 for c in self.conns if c.closed.is_set()),
        }

    async def close(self, _cmd: dict[str, Any]) -> dict[str, Any]:
        conns, self.conns, self.senders, self.receivers = self.conns, [], [], []
        await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
        return {"closed": len(conns)}

    async def shutdown(self) -> None:
        await self.close({})
        if self.session is not None:
            await self.session.close()


async def serve(worker_id: int) -> None:
    worker = Worker(worker_id)
    commands: dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]] = {
        "open_pairs": worker.open_pairs,
        "open_room": worker.open_room,
        "join_room": worker.join_room,
        "open_idle": worker.open_idle,
        "measure": worker.measure,
        "close": worker.close,
        **GuestCommands(worker).commands(),  # idle and storm
        **DashboardCommands(worker).commands(),
    }
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            cmd = json.loads(line)
            if cmd["cmd"] == "exit":
                break
            try:
                reply = {"ok": True, **await commands[cmd["cmd"]](cmd)}
            except Exception as exc:
                reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
    finally:
        await worker.shutdown()


def main() -> None:
    """``python -m scripts.bench.loadgen [WORKER-ID] [--uvloop]``: uvloop for the dashboard's
    listening staff connections (less loop overhead per socket read); asyncio's loop otherwise."""
    worker_id = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if "--uvloop" in sys.argv[2:] and importlib.util.find_spec("uvloop") is not None:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(serve(worker_id))
    else:
        asyncio.run(serve(worker_id))


if __name__ == "__main__":
    main()
