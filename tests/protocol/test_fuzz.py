"""Property-based fuzzing of the real gateway (``Gateway.receive``) and every event's payload validation.

Whatever a frame holds, the gateway answers it with exactly one ack or error frame carrying a
documented error code (or, for a frame it accepted without an ack number, with nothing), rendered
as valid UTF-8 JSON; nothing raises and nothing reaches the catch-all (``internal``). The frames go
through the gateway of a real runtime (SQLite store, hub, service) on a fake in-memory connection,
so a regression anywhere between the decoder and the handlers fails here, without a socket.

Text frames reach the gateway already decoded as UTF-8 by tornado, so raw input here is any
string of Unicode scalar values; lone surrogates arrive only as ``\\uD800``-style escapes, which
the strategies include. Deterministic (``derandomize``) and bounded, so CI is repeatable and
fast; the case counts are recorded.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tornado.ioloop import IOLoop

from chatserver.composition import Runtime
from chatserver.fanout.hub import Frames
from chatserver.protocol import ChatError, ErrorCode, FrameError, decode_frame
from chatserver.protocol.schemas import SCHEMAS, validate_payload
from chatserver.realtime.gateway import Client, Credentials
from tests.conftest import make_token
from tests.figures import record
from tests.fuzzing import DOCUMENTED, FRAME_CODES, FUZZ, MEGABYTE, envelopes, payloads

NOT_FOR_INPUT = {ErrorCode.INTERNAL.value, ErrorCode.UNAVAILABLE.value}  # a crash, or the store failing
REPLIES = ("ack", "error")  # what answers a frame; anything else is a push (chat:new-message, ...)

Answer = Callable[[str | bytes, str], str | None]
COUNTS: dict[str, int] = {}  # cases run, by kind: recorded by the last test


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the gateway is under test, not the store (test_fuzz_ws covers both over the wire)


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"max_frames_per_second": 0}  # thousands of frames on purpose; frame limits have their own tests


class RecordingConnection:
    """The gateway's side of a WebSocket, in memory: every frame sent, and whether it was closed."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed: tuple[int | None, str | None] | None = None

    def send_text(self, frame: str) -> None:
        self.sent.append(frame)

    def send_frames(self, frames: Frames) -> None:
        for frame in frames.texts:
            self.send_text(frame)

    def reply(self, frame: str) -> None:
        self.send_text(frame)

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        self.closed = (code, reason)


@pytest.fixture
def answer(runtime: Runtime, io_loop: IOLoop, caplog: pytest.LogCaptureFixture) -> Iterator[Answer]:
    """``answer(frame, kind)``: one frame through ``Gateway.receive`` of a connected customer, its
    replies checked (``check``); returns the error code answered, if any. At teardown: the
    connection was never closed and nothing was logged as an error."""
    caplog.set_level(logging.ERROR)
    gateway = runtime.gateway
    conn = RecordingConnection()
    client: Client = io_loop.run_sync(lambda: gateway.open(conn, Credentials(token=make_token("customer", "Fuzz"))))

    def _answer(frame: str | bytes, kind: str) -> str | None:
        COUNTS[kind] = COUNTS.get(kind, 0) + 1
        before = len(conn.sent)
        io_loop.run_sync(lambda: gateway.receive(client, frame))  # raises nothing, or the test fails
        sent = [json.loads(raw.encode("utf-8")) for raw in conn.sent[before:]]  # valid UTF-8, valid JSON
        return check(frame, [reply for reply in sent if reply.get("event") in REPLIES], set(gateway.handlers))

    yield _answer
    io_loop.run_sync(lambda: gateway.close(client))
    assert conn.closed is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.records[:3]


def expected(frame: str | bytes, handlers: set[str]) -> tuple[int | None, ChatError | None]:
    """The decoder's and the validator's verdict on ``frame`` (the oracle, not the gateway):
    (ack number, the error the gateway must answer with before any handler runs, or None)."""
    try:
        envelope = decode_frame(frame)
    except FrameError as err:
        return err.ack, err
    if envelope.event not in handlers:
        return envelope.ack, ChatError(ErrorCode.UNKNOWN_EVENT, "unknown event", field="event")
    try:
        validate_payload(envelope.event, envelope.data)
    except ChatError as err:
        return envelope.ack, err
    return envelope.ack, None


def check(frame: str | bytes, replies: list[dict[str, Any]], handlers: set[str]) -> str | None:
    """Assert the gateway's answer to ``frame``; returns the error code it answered with."""
    ack, refusal = expected(frame, handlers)
    if not replies:  # accepted without an ack number: nothing to answer
        assert refusal is None and ack is None, (frame, refusal)
        return None
    assert len(replies) == 1, (frame, replies)  # exactly one answer
    (reply,) = replies
    if ack is not None:
        assert reply["event"] == "ack" and reply["ack"] == ack, (frame, reply)
    else:
        assert reply["event"] == "error", (frame, reply)  # no ack number to answer to
    error = reply.get("error") if reply["event"] == "ack" else reply["data"]
    if error is None:  # a handler's success, acknowledged
        assert refusal is None and "data" in reply, (frame, reply)
        return None
    code = error["code"]
    assert code in DOCUMENTED and code not in NOT_FOR_INPUT, (frame, error)
    assert "Traceback" not in error["message"] and len(error["message"]) <= 300, error
    if isinstance(refusal, FrameError):
        assert refusal.code in FRAME_CODES and code == refusal.code.value, (frame, error)
    elif refusal is not None:
        assert code == refusal.code.value and error.get("field") == refusal.field, (frame, error, refusal)
    if code == ErrorCode.INVALID_PAYLOAD.value:  # validator or handler: it names a field of the event
        event = decode_frame(frame).event
        assert error["field"] == "data" or error["field"].split(".")[0] in SCHEMAS[event]["properties"], error
    return str(code)


EDGE_FRAMES = (  # what breaks naive decoders: depth, length, size, surrogates, control characters
    "[" * 100_000 + "]" * 100_000,
    '{"event":"chat:history","data":' * 5000,
    '{"event":"x","ack":' + "9" * 5000 + "}",
    json.dumps({"event": "chat:send-message", "data": {"roomId": "r", "content": MEGABYTE}}),
    '{"event":"chat:history","data":{"roomId":"\\ud800"}}',
    "\x00\x01\x1f",
)
HANDLER_FRAMES = (  # random envelopes rarely pass validation: these reach the handlers
    '{"event":"chat:history","data":{"roomId":"no-such-room"},"ack":1}',  # refused, acknowledged
    '{"event":"chat:join-room","data":{"businessId":"no-such-business"},"ack":2}',
    '{"event":"chat:join-room","data":{},"ack":3}',  # the handler's own invalid_payload
    '{"event":"chat:leave-room","data":{"roomId":"r1"},"ack":4}',  # a success, acknowledged
    '{"event":"chat:leave-room","data":{"roomId":"r1"}}',  # a success without an ack: no answer
    '{"event":"chat:typing","data":{"roomId":"r1","isTyping":true}}',  # refused without an ack: error frame
)
F = TypeVar("F", bound=Callable[..., None])


def examples(*frames: str) -> Callable[[F], F]:
    """``@example(frame=...)`` for each of ``frames``: cases hypothesis runs every time."""

    def apply(test: F) -> F:
        for frame in frames:
            test = example(frame=frame)(test)
        return test

    return apply


def test_any_text_frame_gets_a_documented_answer(answer: Answer) -> None:
    @FUZZ
    @given(frame=st.text(st.characters(exclude_categories=("Cs",)), max_size=200))
    @examples(*EDGE_FRAMES)
    def text_frames(frame: str) -> None:
        answer(frame, "text")

    text_frames()


def test_any_envelope_gets_a_documented_answer(answer: Answer) -> None:
    @settings(FUZZ, max_examples=500)
    @given(frame=envelopes())
    @examples(*HANDLER_FRAMES)
    def any_envelope(frame: str) -> None:
        answer(frame, "envelope")

    any_envelope()


def test_binary_frames_are_bad_frame(answer: Answer) -> None:
    @settings(FUZZ, max_examples=300)
    @given(frame=st.binary(max_size=200))
    def binary_frames(frame: bytes) -> None:
        assert answer(frame, "binary") == "bad_frame"

    binary_frames()


@settings(FUZZ, max_examples=300)
@given(data=st.data())
def test_every_event_payload_is_valid_or_invalid_payload_naming_a_field(data: st.DataObject) -> None:
    """Straight at the validator, one schema at a time (including schemas other modules register)."""
    COUNTS["payload"] = COUNTS.get("payload", 0) + 1
    event = data.draw(st.sampled_from(sorted(SCHEMAS)))
    payload = data.draw(payloads(event))
    try:
        validate_payload(event, payload)
    except ChatError as err:
        assert err.code is ErrorCode.INVALID_PAYLOAD
        assert err.field == "data" or err.field.split(".")[0] in SCHEMAS[event]["properties"]
        return
    for name, value in payload.items():  # what passes is safe to hand to the database
        if name in SCHEMAS[event]["properties"]:
            assert "\x00" not in json.dumps(value, ensure_ascii=False)
            assert not isinstance(value, float | bool) or SCHEMAS[event]["properties"][name].get("type") != "integer"


def test_zz_record_case_counts() -> None:
    """Runs after the fuzzers in this module (pytest keeps file order)."""
    record("fuzz_gateway_and_validators", cases=dict(COUNTS), total=sum(COUNTS.values()))
    assert sum(COUNTS.values()) > 0
