"""Fuzzing over a real WebSocket, on SQLite and PostgreSQL: random frames, plausible requests with
hostile values, then a probe. Every answer carries a documented code and never ``internal`` or
``unavailable`` (those would mean the input reached somewhere it breaks); the connection keeps
answering; the server logs no error.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import make_token
from tests.figures import record
from tests.fuzzing import DOCUMENTED, FUZZ, envelopes, json_values, numbers, text

PROBE_ACK = 8_123_456_789_000_000  # far from the boundary values hypothesis likes
BAD_FOR_INPUT = {"internal", "unavailable"}


@pytest.fixture
def overrides():
    return {"max_frames_per_second": 0}  # this client floods on purpose; limits have their own tests


def requests(room_id: str, business_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """Well-formed requests aimed at a real room and business, with hostile field values."""
    hostile_text = st.one_of(
        text, st.text(max_size=300), st.sampled_from(["", " ", "\x00", "a\x00", "\u202e", "𝕏" * 50])
    )
    ints = st.one_of(numbers, st.integers(min_value=-2, max_value=120), json_values)
    room = st.one_of(st.just(room_id), hostile_text)
    send = st.fixed_dictionaries(
        {"roomId": room, "content": hostile_text}, optional={"clientMsgId": st.one_of(hostile_text, ints)}
    )
    join = st.fixed_dictionaries(
        {},
        optional={
            "businessId": st.one_of(st.just(business_id), hostile_text),
            "roomId": room,
            "userName": hostile_text,
            "email": st.one_of(st.none(), hostile_text),
            "afterSeq": ints,
            "limit": ints,
        },
    )
    history = st.fixed_dictionaries({"roomId": room}, optional={"beforeSeq": ints, "afterSeq": ints, "limit": ints})
    return st.one_of(
        st.builds(lambda d: {"event": "chat:send-message", "data": d}, send),
        st.builds(lambda d: {"event": "chat:join-room", "data": d}, join),
        st.builds(lambda d: {"event": "chat:history", "data": d}, history),
    ).flatmap(
        lambda body: st.builds(
            lambda ack: {**body, **({"ack": ack} if ack is not None else {})}, st.none() | st.integers(0, 10**6)
        )
    )


def _problems(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    bad = []
    for frame in frames:
        event = frame.get("event")
        if event == "ack" and "data" in frame and "error" not in frame:
            continue
        if event in ("chat:new-message", "chat:faq-response"):
            continue
        error = frame.get("error") if event == "ack" else frame.get("data") if event == "error" else None
        if not isinstance(error, dict) or error.get("code") not in DOCUMENTED or error["code"] in BAD_FOR_INPUT:
            bad.append(frame)
    return bad


def test_random_frames_over_a_websocket_get_documented_answers(io_loop, connect, business, caplog, backend):
    caplog.set_level(logging.ERROR)
    client = io_loop.run_sync(lambda: connect(token=make_token("customer", "Fuzz")))
    room_id = io_loop.run_sync(lambda: client.call("chat:join-room", {"businessId": business, "userName": "Fuzz"}))[
        "room"
    ]["_id"]
    cases = {"random": 0, "requests": 0}
    probes = iter(range(PROBE_ACK, PROBE_ACK + 10**6))

    async def exchange(frame: str) -> list[dict[str, Any]]:
        start = len(client.frames)
        client.send_raw(frame)
        ack = next(probes)
        client.emit("chat:history", {"roomId": room_id, "limit": 1}, ack)  # processed after ``frame``
        await client.take(lambda f: f.get("event") == "ack" and f.get("ack") == ack, timeout=15)
        return [f for f in client.frames[start:] if f.get("ack") != ack]

    @settings(FUZZ, max_examples=120)
    @given(frame=envelopes(big=False))
    def random_frames(frame: str) -> None:
        cases["random"] += 1
        replies = io_loop.run_sync(lambda: exchange(frame))
        assert not _problems(replies), (frame, replies)

    @settings(FUZZ, max_examples=120)
    @given(body=requests(room_id, business))
    def hostile_requests(body: dict[str, Any]) -> None:
        cases["requests"] += 1
        replies = io_loop.run_sync(lambda: exchange(json.dumps(body)))
        assert not _problems(replies), (body, replies)

    random_frames()
    hostile_requests()
    assert client.close_code is None  # still open and answering
    sent = io_loop.run_sync(lambda: client.call("chat:send-message", {"roomId": room_id, "content": "still here"}))
    assert sent["content"] == "still here"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.records[:3]
    record(f"fuzz_websocket_{backend}", cases=cases, total=sum(cases.values()))
