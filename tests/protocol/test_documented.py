"""protocol.md and chatserver/protocol agree: every code documented, every example frame valid."""

from __future__ import annotations

import json
import re
from pathlib import Path

from chatserver import PROTOCOL_VERSION
from chatserver.protocol import CloseCode, ErrorCode, events
from chatserver.protocol.envelope import decode_frame
from chatserver.protocol.schemas import SCHEMAS

DOC = (Path(__file__).resolve().parents[2] / "protocol.md").read_text()


def _example_frames() -> list[dict]:
    frames = []
    for block in re.findall(r"```json\n(.*?)```", DOC, re.S):
        try:
            frames.append(json.loads(block))
        except json.JSONDecodeError:  # a request and its reply, one frame per line
            frames.extend(json.loads(line) for line in block.splitlines() if line.strip())
    for cell in re.findall(r"`(\{\"event\".*?\})`", DOC):
        frames.append(json.loads(cell))
    return [f for f in frames if "event" in f]  # other JSON blocks show REST bodies


def test_every_error_code_has_a_row_and_an_example_frame():
    frames = _example_frames()
    codes_in_examples = {(f.get("error") or f.get("data") or {}).get("code") for f in frames}
    for code in ErrorCode:
        assert f"| `{code.value}` |" in DOC, f"{code.value} has no row in protocol.md §6"
        assert code.value in codes_in_examples, f"{code.value} has no example frame"


def test_every_close_code_is_documented():
    for code in CloseCode:
        assert f"| {int(code)} |" in DOC, f"close code {int(code)} missing from protocol.md §7"


def test_every_event_is_documented_with_an_example():
    names = {v for k, v in vars(events).items() if k.isupper() and isinstance(v, str)}
    examples = {f["event"] for f in _example_frames()}
    for name in names:
        assert name in examples, f"{name} has no example frame in protocol.md"


def test_example_frames_are_valid_envelopes():
    for frame in _example_frames():
        envelope = decode_frame(json.dumps(frame))
        assert envelope.event == frame["event"]


def test_client_event_examples_pass_their_schemas():
    from chatserver.protocol.schemas import validate_payload

    for frame in _example_frames():
        if frame["event"] in SCHEMAS:
            validate_payload(frame["event"], frame.get("data") or {})


def test_version_is_announced_in_the_title():
    assert DOC.startswith(f"# chatserver realtime protocol — {PROTOCOL_VERSION}")
