"""Webhooks survive crashes and share work: the outbox commits with the change, a killed server's
events are delivered after a restart, and two workers on one database never send an event twice."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from chatserver.adapters.http.outgoing import TornadoSender
from chatserver.adapters.sql.models import WebhookEventRow
from chatserver.adapters.sql.outbox import write_outbox
from chatserver.adapters.sql.webhooks import SqlWebhookStore
from chatserver.client import Connection
from chatserver.composition import make_store, webhook_targets, worker_settings
from chatserver.config import Settings
from chatserver.domain.business import Contact
from chatserver.domain.clock import now_ms
from chatserver.domain.models import Room
from chatserver.protocol import webhook_events as events
from chatserver.webhooks.worker import WebhookWorker
from tests.conftest import SECRET
from tests.procs import ServerProcess, arun_cli
from tests.services import PG_URL, postgres_schema, require_postgres, run_aside
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.timeout(120)


async def count_events(runtime: Any) -> int:
    async with runtime.store.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(WebhookEventRow))).scalar_one())


async def test_outbox_rows_commit_and_roll_back_with_the_change(runtime, business):
    service = runtime.webhooks
    await service.create(business, "http://127.0.0.1:9/hooks", None, created_by="test")
    room = Room(
        "r1",
        business,
        "Chat with X",
        "guest",
        None,
        "X",
        True,
        "g1",
        "ua",
        None,
        None,
        (),
        True,
        None,
        None,
        0,
        now_ms(),
    )
    with pytest.raises(RuntimeError):
        async with runtime.store._tx() as session:
            await write_outbox(session, [events.room_closed(room, {"userId": "s1", "userType": "staff"}, now_ms())])
            raise RuntimeError("the change fails")
    assert await count_events(runtime) == 0
    async with runtime.store._tx() as session:
        assert await write_outbox(session, [events.guest_updated(room, now_ms())])
    assert await count_events(runtime) == 1


def test_event_builders_for_the_staff_actions():
    room = Room(
        "r9",
        "b1",
        "Chat with Y",
        "guest",
        None,
        "Y",
        True,
        "g9",
        "ua",
        "y@x",
        None,
        ("anonymous",),
        False,
        None,
        None,
        3,
        1,
    )
    closed = events.room_closed(room, {"userId": "staff-1", "userType": "staff"}, 1_767_609_005_000)
    contact = Contact("cust-9", "b1", "y@x", None, "Y", 1, 1)
    converted = events.guest_converted(room, contact, 1_767_609_005_000)
    updated = events.guest_updated(room, 1_767_609_005_000)
    for event, kind in ((closed, "room.closed"), (converted, "guest.converted"), (updated, "guest.updated")):
        body = json.loads(event.body)
        assert body["type"] == kind and body["businessId"] == "b1" and body["data"]["room"]["_id"] == "r9"
        assert event.order_key == "room:r9" and body["id"] == event.id
    assert json.loads(closed.body)["data"]["closedBy"] == {"userId": "staff-1", "userType": "staff"}
    data = json.loads(converted.body)["data"]
    assert data["guestId"] == "g9" and data["customerId"] == "cust-9" and data["contact"]["email"] == "y@x"


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"webhook_poll_ms": 20, "webhook_allow_private_networks": True}  # receivers on 127.0.0.1


@pytest.mark.parametrize("backend", ["postgres"])
async def test_two_workers_deliver_every_event_once_in_room_order(runtime, ws_url, business, settings):
    """Both workers only poll (no wake-up favours either), so they compete for every delivery."""
    runtime.store.on_outbox = None
    receiver = await Receiver().start()
    service = runtime.webhooks
    await service.create(business, receiver.url, ["message.created"], created_by="test")
    attempts = {"first": 0, "second": 0}
    runtime.webhook_worker.on_attempt = lambda result: attempts.__setitem__("first", attempts["first"] + 1)
    second = WebhookWorker(
        SqlWebhookStore(runtime.store.engine),
        TornadoSender(targets=webhook_targets(settings)),
        settings=worker_settings(settings),
        on_attempt=lambda result: attempts.__setitem__("second", attempts["second"] + 1),
    )
    await second.start()
    guests = []
    try:
        for _ in range(3):
            guest = await Connection.open(ws_url)
            await guest.handshake()
            room_id = (await guest.call("chat:join-room", {"businessId": business}))["room"]["_id"]
            guests.append((guest, room_id))
        for i in range(8):
            for guest, room_id in guests:
                guest.emit("chat:send-message", {"roomId": room_id, "content": f"m{i}"}, ack=i)
        await receiver.wait_until(lambda: len(receiver.ok()) >= 24 and sum(attempts.values()) >= 24)
        bodies = [r.json for r in receiver.ok()]
        assert len({b["id"] for b in bodies}) == 24 == len(bodies), "no event is sent twice"
        assert sum(attempts.values()) == 24, attempts
        for _, room_id in guests:
            seqs = [b["data"]["message"]["seq"] for b in bodies if b["data"]["message"]["roomId"] == room_id]
            assert seqs == list(range(1, 9))
    finally:
        await second.stop()
        for guest, _ in guests:
            await guest.aclose()
        await receiver.close()


async def _recorded(schema: str, business: str, *, delivered: int) -> None:
    """Wait until the worker has recorded ``delivered`` successes (it does just after the answer)."""
    import asyncio

    store = make_store(Settings(database_url=PG_URL, database_schema=schema))
    try:
        for _ in range(100):
            [(_, stats)] = await SqlWebhookStore(store.engine).list_webhooks(business)
            if stats.get("delivered", 0) >= delivered:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"deliveries not recorded: {stats}")
    finally:
        await store.close()


def test_events_of_a_killed_server_are_delivered_after_restart():
    """SIGKILL while the receiver is down: nothing in memory survives, the outbox does. Also the
    CLI: add, list, deliveries, replay."""
    require_postgres()
    with postgres_schema() as schema:
        run_aside(_crash_and_restart(schema))


async def _crash_and_restart(schema: str) -> None:
    env = {
        "DATABASE_URL": PG_URL,
        "DATABASE_SCHEMA": schema,
        "JWT_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        "WEBHOOK_RETRY_BASE_MS": "50",
        "WEBHOOK_RETRY_MAX_MS": "300",
        "WEBHOOK_POLL_MS": "50",
        "WEBHOOK_TIMEOUT_MS": "1000",
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",  # the receiver listens on 127.0.0.1
    }
    receiver = await Receiver().start()
    receiver.default = 503
    first = second = None
    try:
        assert (await arun_cli("migrate", env=env)).returncode == 0
        store = make_store(Settings(database_url=PG_URL, database_schema=schema))
        business = (await store.create_business("Durable", now_ms())).id
        await store.close()
        added = await arun_cli("webhook", "add", "--business", business, "--url", receiver.url, env=env)
        assert added.returncode == 0, added.stderr
        hook = json.loads(added.stdout)
        assert hook["secret"].startswith("whsec_")

        first = await ServerProcess(env).astart()
        guest = await Connection.open(first.ws_url)
        await guest.handshake()
        room_id = (await guest.call("chat:join-room", {"businessId": business}))["room"]["_id"]
        for i in range(1, 6):
            await guest.call("chat:send-message", {"roomId": room_id, "content": f"m{i}"})  # acked: committed
        await receiver.wait_until(lambda: len(receiver.requests) >= 2)  # attempts are failing
        first.kill()
        await guest.aclose()

        receiver.default = 200
        second = await ServerProcess(env).astart()
        await receiver.wait_until(lambda: len({r.json["id"] for r in receiver.ok()}) == 6, timeout=30)
        delivered: list[tuple[str, int | None]] = []
        for request in receiver.ok():
            body = request.json
            key = (body["type"], body["data"]["message"]["seq"] if body["type"] == "message.created" else None)
            if key not in delivered:
                delivered.append(key)
        assert delivered == [("room.created", None)] + [("message.created", s) for s in range(1, 6)]

        await _recorded(schema, business, delivered=6)
        listed = await arun_cli("webhook", "list", "--business", business, env=env)
        assert f"{hook['_id']}  {receiver.url}" in listed.stdout and "delivered=6" in listed.stdout, listed.stdout
        shown = await arun_cli("webhook", "deliveries", "--webhook", hook["_id"], "--status", "delivered", env=env)
        assert shown.stdout.count("delivered") == 6 and "error=HTTP 503" in shown.stdout, shown.stdout
        before = len(receiver.ok())
        replayed = await arun_cli("webhook", "replay", "--webhook", hook["_id"], "--status", "delivered", env=env)
        assert replayed.stdout.strip() == "6 replayed"
        await receiver.wait_until(lambda: len(receiver.ok()) >= before + 6)
    finally:
        for server in (first, second):
            if server is not None:
                await server.astop()
        await receiver.close()
