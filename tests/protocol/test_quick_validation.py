"""The quick payload check answers exactly as jsonschema does: it may only settle a payload as
valid when jsonschema finds no error (and must let every valid one through, or nothing is
gained). Checked on generated payloads around every limit of every event's schema."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chatserver.protocol.schemas import SCHEMAS, _quick, _validator

LENGTHS = st.integers(min_value=0, max_value=300)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=2**53 + 5),
    st.sampled_from([0, 1, 99, 100, 101, 2**53 - 1, 2**53, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 1.0, 5.0, 100.0]),
    LENGTHS.map(lambda n: "x" * n),
    st.text(max_size=5),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=5,
)


def payloads(event: str) -> st.SearchStrategy[Any]:
    names = [*SCHEMAS[event].get("properties", {}), "other"]
    return st.one_of(st.dictionaries(st.sampled_from(names), values, max_size=len(names)), values)


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(sorted(SCHEMAS)).flatmap(lambda event: st.tuples(st.just(event), payloads(event))))
def test_the_quick_check_agrees_with_jsonschema(case: tuple[str, Any]) -> None:
    event, data = case
    quick, validator = _quick(event), _validator(event)
    assert quick is not None and validator is not None, f"{event}: its schema is not compiled"
    assert quick(data) == validator.is_valid(data), (event, data)
