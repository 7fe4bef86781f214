"""Property-based fuzzing of the frame decoder and every client event's payload validation.

Whatever a text frame holds, the server's answer is one documented error code (or success),
rendered as a frame that is valid UTF-8 JSON; nothing else escapes. Text frames reach the
decoder already decoded as UTF-8 by tornado, so raw input here is any string of Unicode scalar
values; lone surrogates arrive only as ``\\uD800``-style escapes, which the strategies include.
Deterministic (``derandomize``) and bounded, so CI is repeatable; the case counts are recorded.
"""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from chatserver.protocol import ChatError, ErrorCode, FrameError, decode_frame
from chatserver.protocol.envelope import ack_error_frame, error_frame
from chatserver.protocol.schemas import SCHEMAS, validate_payload
from tests.figures import record
from tests.fuzzing import DOCUMENTED, FRAME_CODES, FUZZ, MEGABYTE, envelopes, payloads


def answer(frame: str | bytes) -> tuple[str | None, str]:
    """What the gateway would answer before any handler runs: (error code or None, frame sent)."""
    ack: int | None = None
    event: str | None = None
    try:
        envelope = decode_frame(frame)
        ack, event = envelope.ack, envelope.event
        if event not in SCHEMAS:
            raise ChatError(ErrorCode.UNKNOWN_EVENT, f"unknown event {event!r}", field="event")
        validate_payload(event, envelope.data)
    except FrameError as err:
        assert err.code in FRAME_CODES, err
        return err.code.value, error_frame(err, err.event) if err.ack is None else ack_error_frame(err.ack, err)
    except ChatError as err:
        assert err.code in (ErrorCode.UNKNOWN_EVENT, ErrorCode.INVALID_PAYLOAD), err
        if err.code is ErrorCode.INVALID_PAYLOAD:
            assert err.field == "data" or err.field.split(".")[0] in SCHEMAS[event or ""]["properties"], err.field
        return err.code.value, error_frame(err, event) if ack is None else ack_error_frame(ack, err)
    return None, ""


def check_reply(code: str | None, reply: str) -> None:
    if code is None:
        return
    assert code in DOCUMENTED
    parsed = json.loads(reply.encode("utf-8"))  # valid UTF-8, valid JSON
    error = parsed.get("error") or parsed["data"]
    assert error["code"] == code and "Traceback" not in error["message"] and len(error["message"]) <= 300


COUNTS: dict[str, int] = {}


def _count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


@FUZZ
@given(frame=st.text(st.characters(exclude_categories=("Cs",)), max_size=200))
@example(frame="[" * 100_000 + "]" * 100_000)
@example(frame='{"event":"chat:history","data":' * 5000)
@example(frame='{"event":"x","ack":' + "9" * 5000 + "}")
@example(frame=json.dumps({"event": "chat:send-message", "data": {"roomId": "r", "content": MEGABYTE}}))
@example(frame='{"event":"chat:history","data":{"roomId":"\\ud800"}}')
@example(frame="\x00\x01\x1f")
def test_any_text_frame_gets_a_documented_answer(frame):
    _count("text")
    check_reply(*answer(frame))


@settings(FUZZ, max_examples=500)
@given(frame=envelopes())
def test_any_envelope_gets_a_documented_answer(frame):
    _count("envelope")
    check_reply(*answer(frame))


@settings(FUZZ, max_examples=300)
@given(frame=st.binary(max_size=200))
def test_binary_frames_are_bad_frame(frame):
    _count("binary")
    code, reply = answer(frame)
    assert code == "bad_frame"
    check_reply(code, reply)


@settings(FUZZ, max_examples=300)
@given(data=st.data())
def test_every_event_payload_is_valid_or_invalid_payload_naming_a_field(data):
    """Straight at the validator, one schema at a time (including schemas other modules register)."""
    _count("payload")
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


def test_zz_record_case_counts():
    """Runs after the fuzzers in this module (pytest keeps file order)."""
    record("fuzz_decoder_and_validators", cases=dict(COUNTS), total=sum(COUNTS.values()))
    assert sum(COUNTS.values()) > 0
