"""Multi-instance tests: ``chatserver serve`` instances (``tests.procs.ServerProcess``, ready on
``/readyz``), their metrics, and a chat participant that resumes across connections the way
protocol.md §9 tells clients to. Every wait is bounded."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from tornado.websocket import WebSocketClosedError

from tests.helpers import Closed, WsClient
from tests.procs import ServerProcess
from tests.rest import api

START_WITHIN_S = 45.0
RETRYABLE = {"unavailable", "internal"}  # protocol.md §9: resend with the same clientMsgId
LOST = (Closed, TimeoutError, WebSocketClosedError)  # the connection is gone: reconnect, resume, resend


class Retryable(Exception):
    """The server answered a send with an error the client should retry."""


def instance(name: str, env: dict[str, str], log_path: Path, *, port: int | None = None) -> ServerProcess:
    """One ``chatserver serve`` of a cluster: ready once ``/readyz`` says 200 (database and broker
    reachable), not merely listening."""
    return ServerProcess(env, port, log_path, name=name, ready_path="/readyz")


async def metrics(server: ServerProcess) -> dict[str, float]:
    """The instance's Prometheus samples, by name (and labels)."""
    status, body = await api(server.http_url, "GET", "/metrics", timeout=5, decode=False)
    assert status == 200, body[:500]
    return {
        s.name + (json.dumps(s.labels, sort_keys=True) if s.labels else ""): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


@dataclass
class Counts:
    sent: int = 0  # send frames written, retries included
    acked: int = 0  # distinct messages acknowledged to this participant
    retried: int = 0  # sends repeated after a lost connection
    duplicate_acks: int = 0  # retries answered with ``duplicate: true``


class Participant:
    """A guest or staff member across connections. It keeps what it holds by ``seq``; on
    reconnect it joins with ``afterSeq`` = the highest ``seq`` held and pages with
    ``chat:history`` while ``hasMore``; unacknowledged sends are retried with the same
    ``clientMsgId``."""

    def __init__(self, name: str, *, token: str | None = None) -> None:
        self.name = name
        self.token = token
        self.session_id: str | None = None
        self.connections: list[WsClient] = []
        self.instance_names: list[str] = []
        self.room_id: str | None = None
        self.business_id: str | None = None
        self.acks: dict[str, dict[str, Any]] = {}
        self.counts = Counts()

    @property
    def ws(self) -> WsClient:
        return self.connections[-1]

    async def connect(self, ws_url: str) -> None:
        query = {"token": self.token} if self.token else ({"sessionId": self.session_id} if self.session_id else {})
        client = await WsClient.connect(ws_url, **query)
        first = await client.next(timeout=10)
        if first["event"] == "guest:registered":
            assert self.session_id in (None, first["data"]["sessionId"]), "the guest session was not resumed"
            self.session_id = first["data"]["sessionId"]
        else:
            assert first["event"] == "user:authenticated", first
        self.connections.append(client)
        self.instance_names.append(client.conn.headers.get("X-Chatserver-Instance", "?"))

    async def join(self, *, business_id: str | None = None, room_id: str | None = None) -> str:
        """First join (nothing held yet) or, after a reconnect, a resume from what is held."""
        data: dict[str, Any] = {"roomId": room_id} if room_id else {"businessId": business_id}
        self.business_id = business_id or self.business_id
        if self.room_id is not None:
            data = {"roomId": self.room_id, "afterSeq": self.highest(), "limit": 100}
        reply = await self.ws.call("chat:join-room", data, timeout=15)
        self.room_id = reply["room"]["_id"]
        has_more = reply["hasMore"] and "afterSeq" in data
        while has_more:
            page = await self.ws.call(
                "chat:history", {"roomId": self.room_id, "afterSeq": self.highest(), "limit": 100}, timeout=15
            )
            has_more = page["hasMore"]
        return self.room_id

    async def resume(self, ws_url: str) -> None:
        await self.connect(ws_url)
        await self.join()

    async def send(self, content: str, client_msg_id: str) -> dict[str, Any]:
        """One attempt; raises ``Closed``/``TimeoutError`` when the connection is lost and
        ``Retryable`` for ``unavailable``/``internal``."""
        self.counts.sent += 1
        data = {"roomId": self.room_id, "content": content, "clientMsgId": client_msg_id}
        frame = await self.ws.request("chat:send-message", data, timeout=15)
        while frame.get("error", {}).get("code") == "rate_limited":  # frames per second: wait as told, same id
            await asyncio.sleep(frame["error"].get("retryAfterMs", 100) / 1000)
            frame = await self.ws.request("chat:send-message", data, timeout=15)
        if "error" in frame and frame["error"]["code"] in RETRYABLE:
            raise Retryable(frame["error"]["code"])
        assert "error" not in frame, frame
        ack = dict(frame["data"])
        if client_msg_id not in self.acks:
            self.counts.acked += 1
        if ack["duplicate"]:
            self.counts.duplicate_acks += 1
        self.acks[client_msg_id] = ack
        return ack

    async def send_reliably(self, content: str, client_msg_id: str, reconnect_to: list[str]) -> dict[str, Any]:
        """Send; on a lost connection reconnect (to the next URL), resume and retry the same id."""
        for attempt in range(8):
            try:
                return await self.send(content, client_msg_id)
            except Retryable:
                self.counts.retried += 1
                await asyncio.sleep(0.05)  # the connection may be closing (1001): the next try sees it
            except LOST:
                self.counts.retried += 1
                url = reconnect_to[attempt % len(reconnect_to)]
                try:
                    await self.resume(url)
                except (*LOST, OSError):
                    await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name}: could not send {client_msg_id}")

    # what arrived

    def received(self) -> tuple[dict[int, dict[str, Any]], list[list[int]], int]:
        """(messages held by seq, pushed seqs per connection, pushes of a seq already held).

        Replies (join, history) and pushes are merged in arrival order, connection by connection."""
        held: dict[int, dict[str, Any]] = {}
        pushes: list[list[int]] = []
        duplicates = 0
        for client in self.connections:
            pushed: list[int] = []
            for frame in client.frames:
                data = frame.get("data") or {}
                if frame.get("event") == "chat:new-message":
                    if data["roomId"] != self.room_id:
                        continue
                    pushed.append(data["seq"])
                    if data["seq"] in held:
                        duplicates += 1
                    held[data["seq"]] = data
                elif frame.get("event") == "ack" and isinstance(data.get("messages"), list):
                    for message in data["messages"]:
                        held.setdefault(message["seq"], message)
            pushes.append(pushed)
        return held, pushes, duplicates

    def highest(self) -> int:
        held, _, _ = self.received()
        return max(held, default=0)

    async def until_holds(self, count: int, within_s: float = 30.0) -> dict[int, dict[str, Any]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while True:
            held, _, _ = self.received()
            if len(held) >= count:
                return held
            if loop.time() > deadline:
                missing = sorted(set(range(1, count + 1)) - set(held))
                raise TimeoutError(f"{self.name} holds {len(held)} of {count}; missing {missing[:20]}")
            await asyncio.sleep(0.05)

    def close(self) -> None:
        for client in self.connections:
            client.close()
