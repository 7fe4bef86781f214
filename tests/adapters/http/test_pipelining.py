"""A connection's requests are pipelined behind the store's order and still answered in order.

A send no longer holds the connection until its transaction commits: once its append is queued
(its place among the connection's writes fixed) the next request starts. What a client sees
must not change: acks in request order (protocol.md §2), messages stored in the order they were
sent, each exactly once — checked with a burst mixing sends, a history read, a bad request and
a join, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatserver.composition import Runtime


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"guest_message_rate_limit": 1000, "max_frames_per_second": 0}


def _batches(runtime: Runtime) -> int:
    appender: Any = runtime.store._appender  # type: ignore[attr-defined]
    writer = getattr(appender, "writer", appender)  # PostgreSQL's appender wraps its writer
    return int(writer.batches)


async def test_a_burst_is_stored_in_send_order_and_acked_in_request_order(runtime, connect, business):
    guest = await connect(sessionId="")
    joined = await guest.call("chat:join-room", {"businessId": business, "userName": "Ann"})
    room = joined["room"]["_id"]
    before = _batches(runtime)

    requests: list[int] = []
    for n in range(40):
        ack = 100 + n
        requests.append(ack)
        if n == 13:
            guest.emit("chat:history", {"roomId": room, "limit": 5}, ack)
        elif n == 21:
            guest.emit("chat:no-such-event", {}, ack)
        elif n == 30:
            guest.emit("chat:join-room", {"roomId": room}, ack)
        else:
            guest.emit("chat:send-message", {"roomId": room, "content": f"line {n}", "clientMsgId": f"c{n}"}, ack)
    for ack in requests:
        await guest.take(lambda f, ack=ack: f.get("event") == "ack" and f.get("ack") == ack, timeout=10)

    answered = [f["ack"] for f in guest.frames if f.get("event") == "ack" and f.get("ack") in requests]
    assert answered == requests  # every ack once, in request order
    errors = {f["ack"]: f["error"]["code"] for f in guest.frames if f.get("event") == "ack" and "error" in f}
    assert errors == {121: "unknown_event"}

    sent = [n for n in range(40) if n not in (13, 21, 30)]
    acked = {f["ack"]: f.get("data") for f in guest.frames if f.get("event") == "ack" and f.get("ack") in requests}
    seqs = [acked[100 + n]["seq"] for n in sent]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)  # stored in the order sent
    history = await guest.call("chat:history", {"roomId": room, "limit": 100})
    contents = [m["content"] for m in history["messages"] if m["content"].startswith("line ")]
    assert contents == [f"line {n}" for n in sent]
    # the sends shared transactions: they did not wait for each other's commit
    assert _batches(runtime) - before < len(sent)
    assert json.dumps(acked[113])  # the history read in the middle was answered too


async def test_a_send_right_after_a_join_waits_for_the_join(runtime, connect, business):
    """A join is not pipelined: the send behind it must see the membership it creates."""
    guest = await connect(sessionId="")
    first = await guest.call("chat:join-room", {"businessId": business, "userName": "Ann"})
    other = await connect(sessionId="")
    room = first["room"]["_id"]
    other.emit("chat:join-room", {"businessId": business, "userName": "Bob"}, 1)
    other.emit("chat:send-message", {"roomId": room, "content": "not mine"}, 2)
    refused = await other.take(lambda f: f.get("ack") == 2)
    assert refused["error"]["code"] == "forbidden"
    joined = await other.take(lambda f: f.get("ack") == 1)
    own = joined["data"]["room"]["_id"]
    other.emit("chat:join-room", {"roomId": own}, 3)
    other.emit("chat:send-message", {"roomId": own, "content": "mine"}, 4)
    assert (await other.take(lambda f: f.get("ack") == 4))["data"]["content"] == "mine"
    assert [f["ack"] for f in other.frames if f.get("event") == "ack"] == [1, 2, 3, 4]
