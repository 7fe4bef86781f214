"""A reconnect storm: 1,000 guests reconnect at once with their sessionIds, against a real
server process on PostgreSQL, while others keep chatting.

The guests and their rooms are written straight into the database first (their previous
life, on an instance that just went away), so the test spends its time on the storm itself.

Every guest gets its own identity back (``resumed: true``, same guestId) and its room on
rejoin; the chatters see no error and lose nothing. How long the storm took is reported as a
figure (2 shared cores run both the server and the 1,000 clients), not asserted.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import pytest
from sqlalchemy import insert
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from chatserver.adapters.sql.engine import create_engine
from chatserver.adapters.sql.models import GuestRow, RoomRow
from chatserver.domain.clock import now_ms
from chatserver.domain.ids import hash_session_id, new_guest_id, new_session_id
from tests.conftest import make_token
from tests.figures import record
from tests.helpers import WsClient
from tests.procs import ServerProcess, run_cli
from tests.reliability.support import base_env, cpu_seconds, ws
from tests.services import PG_URL, postgres_schema

GUESTS = 1000


@pytest.fixture
def pg_schema():
    with postgres_schema() as schema:
        yield schema


async def _connect(url: str, **query: str) -> WsClient:
    from urllib.parse import urlencode

    request = HTTPRequest(f"{url}?{urlencode(query)}" if query else url, connect_timeout=240, request_timeout=240)
    return WsClient(await websocket_connect(request))


async def _seed_guests(schema: str, business: str, count: int) -> list[dict[str, Any]]:
    """Guest sessions with one room each, as the server would have stored them."""
    engine = create_engine(PG_URL, schema=schema)
    now = now_ms()
    guests = [
        {"guestId": new_guest_id(now), "sessionId": new_session_id(), "room": secrets.token_hex(12)}
        for _ in range(count)
    ]
    guest_rows = [
        {
            "guest_id": g["guestId"],
            "session_hash": hash_session_id(g["sessionId"]),
            "user_agent": "storm",
            "created_at": now,
            "last_seen_at": now,
            "expired": False,
        }
        for g in guests
    ]
    room_rows = [
        {
            "id": g["room"],
            "business_id": business,
            "room_name": f"Chat with G{n}",
            "user_type": "guest",
            "user_id": None,
            "user_name": f"G{n}",
            "is_guest": True,
            "guest_id": g["guestId"],
            "owner_key": f"guest:{g['guestId']}",
            "user_agent": "storm",
            "email": None,
            "phone": None,
            "tags": ["anonymous"],
            "extra": {},
            "is_active": True,
            "last_message": None,
            "last_message_at": None,
            "last_seq": 0,
            "activity_at": now,
            "created_at": now,
        }
        for n, g in enumerate(guests)
    ]
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(GuestRow), guest_rows)
            await conn.execute(insert(RoomRow), room_rows)
    finally:
        await engine.dispose()
    return guests


async def _resume(url: str, business: str, guest: dict[str, Any]) -> WsClient:
    client = await _connect(url, sessionId=guest["sessionId"])
    first = await client.next(timeout=240)
    assert first["event"] == "guest:registered", first
    assert first["data"]["resumed"] is True and first["data"]["guestId"] == guest["guestId"], first
    rejoin = await client.call("chat:join-room", {"businessId": business, "afterSeq": 0}, timeout=240)
    assert rejoin["room"]["_id"] == guest["room"]
    return client


async def _chat(
    client: WsClient, room_id: str, name: str, stop: asyncio.Event, acked: list[int], waits: list[float]
) -> None:
    n = 0
    while not stop.is_set() or n < 5:
        sent_at = time.monotonic()
        ack = await client.call("chat:send-message", {"roomId": room_id, "content": f"{name} {n}"}, timeout=60)
        waits.append(time.monotonic() - sent_at)
        acked.append(ack["seq"])
        n += 1
        await asyncio.sleep(0.02)


@pytest.mark.timeout(360)  # bounded, but a loaded CI machine may need more than the default
async def test_a_thousand_guests_reconnect_at_once_while_others_chat(tmp_path, pg_schema):
    env = base_env(
        DATABASE_URL=PG_URL,
        DATABASE_SCHEMA=pg_schema,
        MAX_CONNECTIONS_PER_IP="0",  # every client here comes from 127.0.0.1
        MAX_HALF_OPEN_PER_IP="0",  # the same, for handshakes waiting to be read
        GUEST_REGISTRATIONS_PER_IP_PER_MINUTE="100000",  # the same, for the per-address registration limit
    )
    assert run_cli("migrate", env=env).returncode == 0
    server = ServerProcess(env, log_path=tmp_path / "server.log").start()
    clients: list[WsClient] = []
    try:
        business = run_cli("business", "add", "Acme", env=server.env).stdout.strip()
        guests = await _seed_guests(pg_schema, business, GUESTS)

        staff = await ws(server.ws_url, token=make_token("staff", "Sam", business))
        chatters, rooms = [], []
        for name in ("carol", "dave"):
            chatter = await ws(server.ws_url, token=make_token("customer", name))
            room = (await chatter.call("chat:join-room", {"businessId": business, "userName": name}))["room"]["_id"]
            await staff.call("chat:join-room", {"roomId": room, "limit": 1})
            chatters.append(chatter)
            rooms.append(room)
        stop = asyncio.Event()
        acked: list[list[int]] = [[], []]
        waits: list[float] = []
        chatting = asyncio.gather(
            *(_chat(c, r, str(i), stop, acked[i], waits) for i, (c, r) in enumerate(zip(chatters, rooms, strict=True)))
        )
        await asyncio.sleep(0.3)

        cpu_before = cpu_seconds(server.proc.pid)
        started = time.monotonic()
        results = await asyncio.gather(*(_resume(server.ws_url, business, g) for g in guests), return_exceptions=True)
        storm_seconds = time.monotonic() - started
        server_cpu = cpu_seconds(server.proc.pid) - cpu_before
        stop.set()
        await chatting

        clients = [r for r in results if isinstance(r, WsClient)]
        failures = [r for r in results if not isinstance(r, WsClient)]
        assert not failures, failures[:3]
        for room, seqs in zip(rooms, acked, strict=True):
            for seq in seqs:
                await staff.wait_for("chat:new-message", roomId=room, seq=seq, timeout=30)
            got = [m["seq"] for m in staff.events("chat:new-message") if m["roomId"] == room]
            assert got == list(range(1, len(seqs) + 1)) == seqs  # all, in order, once
        assert not [f for f in staff.frames + chatters[0].frames + chatters[1].frames if "error" in f]
        assert "Traceback" not in server.output()
        record(
            "reconnect_storm",
            guests_reconnected=len(clients),
            resumed_with_same_guest_and_room=len(clients),
            failures=len(failures),
            storm_seconds=round(storm_seconds, 1),
            server_cpu_seconds=round(server_cpu, 1),
            max_opening_connections=16,
            chat_slowest_ack_seconds=round(max(waits), 2),
            chat_messages_during_storm=sum(len(a) for a in acked),
            chat_errors=0,
            lost=0,
            duplicated=0,
        )
    finally:
        for client in clients:
            client.close()
        server.stop()
