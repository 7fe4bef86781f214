"""protocol.md documents every event name with an example frame, and every REST route of the
OpenAPI document."""

from __future__ import annotations

import re
from pathlib import Path

from chatserver.adapters.http.openapi import openapi_document
from chatserver.protocol import events

DOC = (Path(__file__).resolve().parents[2] / "protocol.md").read_text()


def test_every_event_has_a_heading_and_an_example_frame():
    names = [v for k, v in vars(events).items() if k.isupper() and isinstance(v, str)]
    for name in names:
        assert f'"event": "{name}"' in DOC, f"no example frame for {name}"
    for name in names:
        if name.startswith("chat:"):
            assert f"`{name}`" in DOC, f"no section for {name}"


def test_every_rest_route_is_in_protocol_md():
    for path in openapi_document()["paths"]:
        plain = re.sub(r"\{[^}]+\}", "", path).rstrip("/")
        assert plain.split("/")[-1] in DOC, path
