"""The database goes away for a few seconds under a real server process, and comes back.

A TCP proxy between the server and PostgreSQL is cut (open connections reset, new ones
refused) and restored; or frozen (connections stay open, nothing moves: a network partition,
which only ``DATABASE_TIMEOUT`` turns into errors) and thawed. Sends during the outage fail
with ``unavailable`` (or ``internal`` when the failure hit a commit) and are not
acknowledged; clients retry with the same ``clientMsgId``; the server recovers without a
restart. Counted at the end from the database itself: every message stored exactly once,
delivered exactly once, in order.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import asyncpg
import pytest

from tests.conftest import make_token
from tests.figures import record
from tests.helpers import WsClient
from tests.procs import ServerProcess, run_cli
from tests.reliability.support import base_env, ws
from tests.services import PG_URL, postgres_schema, require_postgres
from tests.tcpproxy import TcpProxy

SENDERS = 4
MESSAGES = 20  # per sender
OUTAGE_SECONDS = {"cut": 3.0, "freeze": 6.0}  # a frozen database fails requests after DATABASE_TIMEOUT (2 s)
RETRYABLE = {"unavailable", "internal"}


@pytest.fixture
def pg_schema():
    with postgres_schema() as schema:
        yield schema


class Sender:
    """Sends MESSAGES messages, each retried with its clientMsgId until acknowledged."""

    def __init__(self, client: WsClient, room_id: str, name: str) -> None:
        self.client, self.room_id, self.name = client, room_id, name
        self.attempts = 0
        self.failures: Counter[str] = Counter()
        self.acks: list[dict[str, Any]] = []
        self.first_ack_after: dict[str, float] = {}

    async def run(self, restored: asyncio.Event) -> None:
        for n in range(MESSAGES):
            body = {"roomId": self.room_id, "content": f"{self.name} {n}", "clientMsgId": f"{self.name}-{n}"}
            while True:
                self.attempts += 1
                try:
                    reply = await self.client.request("chat:send-message", body, timeout=15)
                except TimeoutError:
                    self.failures["no-ack"] += 1
                    continue
                if "error" not in reply:
                    self.acks.append(reply["data"])
                    if restored.is_set():
                        self.first_ack_after.setdefault("restore", time.monotonic())
                    break
                code = reply["error"]["code"]
                assert code in RETRYABLE, reply
                self.failures[code] += 1
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.03)


async def _stored(schema: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return await conn.fetch(
            f'SELECT room_id, seq, client_msg_id, id FROM "{schema}".messages ORDER BY room_id, seq'
        )
    finally:
        await conn.close()


@pytest.mark.parametrize("mode", ["cut", "freeze"])
async def test_database_outage_loses_and_doubles_nothing(tmp_path, pg_schema, mode):
    require_postgres()
    direct = base_env(DATABASE_URL=PG_URL, DATABASE_SCHEMA=pg_schema)
    assert run_cli("migrate", env=direct).returncode == 0
    business = run_cli("business", "add", "Acme", env=direct).stdout.strip()
    proxy = await TcpProxy(5432).start()
    via_proxy = PG_URL.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert via_proxy != PG_URL
    server = ServerProcess(
        base_env(DATABASE_URL=via_proxy, DATABASE_SCHEMA=pg_schema, DATABASE_TIMEOUT="2"),
        log_path=tmp_path / "server.log",
    )
    await server.astart()  # the proxy runs on this loop: it must keep running while the server starts
    try:
        staff = await ws(server.ws_url, token=make_token("staff", "Sam", business))
        senders = []
        for n in range(SENDERS):
            client = await ws(server.ws_url, token=make_token("customer", f"C{n}"))
            room = (await client.call("chat:join-room", {"businessId": business, "userName": f"C{n}"}))["room"]["_id"]
            await staff.call("chat:join-room", {"roomId": room, "limit": 1})
            senders.append(Sender(client, room, f"c{n}"))

        restored = asyncio.Event()
        sending = asyncio.gather(*(s.run(restored) for s in senders))
        while sum(len(s.acks) for s in senders) < SENDERS * 3:  # traffic flowing
            await asyncio.sleep(0.05)
        acked_before = sum(len(s.acks) for s in senders)
        proxy.cut() if mode == "cut" else proxy.freeze()
        cut_at = time.monotonic()
        await asyncio.sleep(OUTAGE_SECONDS[mode] / 2)
        newcomer = await WsClient.connect(server.ws_url)  # a new guest cannot be registered now
        assert await newcomer.wait_closed(timeout=15) == 1011
        await asyncio.sleep(max(0.0, cut_at + OUTAGE_SECONDS[mode] - time.monotonic()))
        acked_during = sum(len(s.acks) for s in senders) - acked_before
        failed_during = sum(sum(s.failures.values()) for s in senders)
        proxy.restore() if mode == "cut" else proxy.thaw()
        restored.set()
        restored_at = time.monotonic()
        await asyncio.wait_for(sending, 120)

        rows = await _stored(pg_schema)
        by_key = Counter((r["room_id"], r["client_msg_id"]) for r in rows)
        expected = {(s.room_id, f"{s.name}-{n}") for s in senders for n in range(MESSAGES)}
        assert set(by_key) == expected and max(by_key.values()) == 1  # nothing lost, nothing doubled
        for sender in senders:
            seqs = [r["seq"] for r in rows if r["room_id"] == sender.room_id]
            assert seqs == list(range(1, MESSAGES + 1))
            assert sorted(a["seq"] for a in sender.acks) == seqs
            for seq in seqs:
                await staff.wait_for("chat:new-message", roomId=sender.room_id, seq=seq, timeout=30)
        delivered = [m["_id"] for m in staff.events("chat:new-message")]
        assert len(delivered) == len(set(delivered)) == len(rows)
        assert failed_during > 0 and acked_during <= SENDERS  # the outage was felt (a send may straddle the cut)
        after = await WsClient.connect(server.ws_url)  # new guests are registered again
        assert (await after.next())["data"]["resumed"] is False
        after.close()
        failures = Counter()
        for sender in senders:
            failures.update(sender.failures)
        recovery = min(s.first_ack_after.get("restore", float("inf")) for s in senders) - restored_at
        record(
            f"database_outage_{mode}",
            outage_seconds=OUTAGE_SECONDS[mode],
            messages=len(expected),
            attempts=sum(s.attempts for s in senders),
            failed_attempts=dict(failures),
            acked=sum(len(s.acks) for s in senders),
            acked_as_duplicate=sum(1 for s in senders for a in s.acks if a["duplicate"]),
            stored=len(rows),
            delivered=len(delivered),
            lost=len(expected) - len(by_key),
            duplicated=sum(v - 1 for v in by_key.values()) + len(delivered) - len(set(delivered)),
            first_ack_after_restore_seconds=round(recovery, 2),
            proxy_connections_refused=proxy.refused,
            database_timeout_seconds=2,
        )
    finally:
        server.stop()
        await proxy.close()
