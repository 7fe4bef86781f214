"""Frame decoding edge cases, without a server."""

from __future__ import annotations

import json

import pytest

from chatserver.protocol import ChatError, ErrorCode, FrameError, decode_frame, encode_frame
from chatserver.protocol.schemas import validate_payload


def test_decodes_a_request():
    env = decode_frame('{"event":"chat:history","data":{"roomId":"r"},"ack":3}')
    assert (env.event, env.data, env.ack) == ("chat:history", {"roomId": "r"}, 3)


def test_missing_or_null_data_is_empty():
    assert decode_frame('{"event":"x"}').data == {}
    assert decode_frame('{"event":"x","data":null}').data == {}


@pytest.mark.parametrize("ack", ["1", 1.5, True, 2**53, -1])
def test_ack_must_be_a_safe_non_negative_integer(ack):
    with pytest.raises(FrameError) as info:
        decode_frame(json.dumps({"event": "x", "ack": ack}))
    assert info.value.code is ErrorCode.BAD_FRAME


def test_deep_nesting_is_bad_json_not_a_crash():
    with pytest.raises(FrameError) as info:
        decode_frame("[" * 100_000 + "]" * 100_000)
    assert info.value.code is ErrorCode.BAD_JSON


def test_event_name_length_is_bounded():
    with pytest.raises(FrameError):
        decode_frame(json.dumps({"event": "e" * 65}))


def test_encode_is_compact_and_keeps_unicode():
    assert encode_frame("ack", {"content": "héllo"}, ack=1) == '{"event":"ack","ack":1,"data":{"content":"héllo"}}'


def test_validation_ignores_unknown_fields_and_names_bad_ones():
    validate_payload("chat:history", {"roomId": "r", "future": True})
    with pytest.raises(ChatError) as info:
        validate_payload("chat:history", {"roomId": "r", "afterSeq": -1})
    assert info.value.field == "afterSeq"
