"""Hypothesis strategies for fuzzing frames and payloads (shared by the decoder and WebSocket fuzzers).

Raw text is any string of Unicode scalar values: tornado hands the server text frames already
decoded as UTF-8, so a raw lone surrogate cannot arrive; it can only come as a JSON escape
(``\\ud800``), which ``envelopes`` splices in.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from chatserver.protocol import ErrorCode
from chatserver.protocol.envelope import MAX_ACK
from chatserver.protocol.schemas import SCHEMAS

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
DOCUMENTED = {code.value for code in ErrorCode}
FRAME_CODES = {ErrorCode.BAD_JSON, ErrorCode.BAD_FRAME}
MEGABYTE = "x" * 1_000_000

# text: every scalar value, control characters included (no raw surrogates: see the module doc)
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 2**53, 2**53 - 1, 2**63, 10**400, 1e308, -0.0, 0.5, 5.0]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, text)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(text, inner, max_size=5), max_leaves=10
)
surrogate = st.sampled_from(["\\ud800", "\\udfff", "\\udbff\\u0041", "\\ud83d", "\\u0000", "\\u001f"])


def field_values(big: bool) -> st.SearchStrategy[Any]:
    """Values for known fields: plausible ones, near-misses and garbage; ``big`` adds 1 MB strings."""
    values = st.one_of(
        json_values,
        st.text(max_size=120),
        st.integers(min_value=-5, max_value=120),
        st.just("r" * 65),
        st.just("a\x00b"),
    )
    return values | st.just(MEGABYTE) if big else values


@st.composite
def payloads(draw: st.DrawFn, event: str, big: bool = True) -> dict[str, Any]:
    known = list(SCHEMAS[event].get("properties", {}))
    names = draw(st.lists(st.sampled_from(known), unique=True, max_size=len(known))) if known else []
    data = {name: draw(field_values(big)) for name in names}
    data.update(draw(st.dictionaries(text, json_values, max_size=3)))
    return data


@st.composite
def envelopes(draw: st.DrawFn, big: bool = True) -> str:
    """JSON frames whose envelope fields have random types, with surrogate escapes spliced in."""
    body: dict[str, Any] = {}
    if draw(st.booleans()):
        body["event"] = draw(st.one_of(st.sampled_from(sorted(SCHEMAS)), text, json_values))
    if draw(st.booleans()):
        event = body.get("event")
        body["data"] = draw(payloads(event, big)) if isinstance(event, str) and event in SCHEMAS else draw(json_values)
    if draw(st.booleans()):
        body["ack"] = draw(st.one_of(st.integers(min_value=0, max_value=MAX_ACK), numbers, json_values))
    frame = json.dumps(body)
    if draw(st.booleans()) and '"' in frame[1:]:
        at = draw(st.integers(min_value=1, max_value=len(frame) - 1))
        if frame[at - 1] != "\\":
            frame = frame[:at] + draw(surrogate) + frame[at:]
    return frame


# REST query values: numbers as a URL carries them (around the 32- and 64-bit edges, past them,
# signs, exponents, any text) and page cursors, well-formed ones with such numbers included
# (``base64("<number>:<id>")``, the shape the server issues), which free text almost never hits
query_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
query_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        ["0", "-1", "1e3", "2147483647", "2147483648", "9223372036854775807", "9223372036854775808", "9" * 20]
    ),
    st.text("0123456789", min_size=1, max_size=40),
    query_text,
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


cursors = st.one_of(
    st.builds(
        lambda at, row: _b64(f"{at}:{row}".encode()),
        query_numbers,
        st.one_of(st.from_regex(r"[0-9a-f]{24}", fullmatch=True), query_text),
    ),
    st.binary(max_size=60).map(_b64),
    query_text,
)
