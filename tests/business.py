"""Helpers for the business-feature tests: REST calls and setting up FAQs and settings."""

from __future__ import annotations

import json
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPRequest


async def api(
    base_url: str, method: str, path: str, *, token: str | None = None, body: Any = None, raw: bytes | None = None
) -> tuple[int, Any]:
    """One REST call; returns (status, parsed JSON body or None)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    payload: bytes | None = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    if payload is None and method in ("POST", "PUT", "PATCH"):
        payload = b""
    request = HTTPRequest(
        f"{base_url}{path}", method=method, headers=headers, body=payload, allow_nonstandard_methods=True
    )
    response = await AsyncHTTPClient().fetch(request, raise_error=False)
    text = response.body.decode() if response.body else ""
    return response.code, (json.loads(text) if text else None)
