"""What a case gets: connections to the servers under test, tokens, and the inputs given."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from chatserver.client.connection import Connection
from chatserver.client.transport import HttpResponse, http_request
from chatserver.conformance.case import expect
from chatserver.conformance.limits import Limits
from chatserver.conformance.tokens import TokenSource


@dataclass(frozen=True, slots=True)
class SuiteConfig:
    urls: tuple[str, ...]
    businesses: tuple[str, ...]
    tokens: TokenSource
    cluster: bool = False
    limits: Limits = field(default_factory=Limits)
    timeout: float = 5.0  # seconds to wait for any one answer
    only: tuple[str, ...] = ()  # name prefixes to run; empty: all


def http_base(ws_url: str) -> str:
    """``ws://h:p/realtime`` -> ``http://h:p`` (the REST API lives on the same port, §10)."""
    parts = urlsplit(ws_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    path = parts.path[: -len("/realtime")] if parts.path.endswith("/realtime") else ""
    return urlunsplit((scheme, parts.netloc, path, "", ""))


class Context:
    """Per case: every connection it opens is closed when it ends."""

    def __init__(self, config: SuiteConfig) -> None:
        self.config = config
        self.limits = config.limits
        self.timeout = config.timeout
        self.tokens = config.tokens
        self._open: list[Connection] = []

    @property
    def business(self) -> str:
        return self.config.businesses[0]

    def url(self, instance: int = 0) -> str:
        return self.config.urls[instance]

    @staticmethod
    def unique(prefix: str) -> str:
        """Ids that never collide with earlier runs against the same server."""
        return f"{prefix}-{secrets.token_hex(5)}"

    # connections

    async def raw(self, instance: int = 0, **kwargs: Any) -> Connection:
        """A connection whose first frame has not been read."""
        conn = await Connection.open(self.url(instance), connect_timeout=self.timeout, **kwargs)
        self._open.append(conn)
        return conn

    async def guest(self, instance: int = 0, session_id: str | None = None) -> tuple[Connection, dict[str, Any]]:
        """A guest connection and its ``guest:registered`` data."""
        conn = await self.raw(instance, session_id=session_id)
        first = await conn.next(self.timeout)
        expect(first.get("event") == "guest:registered", f"first frame is not guest:registered: {first}")
        return conn, dict(first.get("data") or {})

    async def token(self, role: str, name: str, *, business: str | None = None, ttl: int = 3600) -> str:
        return await self.tokens.issue(role, name, self.unique(f"conf-{role}"), business=business, ttl=ttl)

    async def user(
        self, role: str, name: str = "Conformance", *, instance: int = 0, business: str | None = None
    ) -> Connection:
        """A customer or staff connection (staff of ``business``, default the suite's)."""
        if role == "staff" and business is None:
            business = self.business
        conn = await self.raw(instance, token=await self.token(role, name, business=business))
        first = await conn.next(self.timeout)
        expect(first.get("event") == "user:authenticated", f"first frame is not user:authenticated: {first}")
        return conn

    async def guest_room(self, instance: int = 0, name: str = "Conformance Guest") -> tuple[Connection, str, str]:
        """A guest with a fresh room in the suite's business: (connection, roomId, sessionId)."""
        conn, registered = await self.guest(instance)
        joined = await conn.call(
            "chat:join-room", {"businessId": self.business, "userName": name}, timeout=self.timeout
        )
        return conn, str(joined["room"]["_id"]), str(registered["sessionId"])

    async def close_all(self) -> None:
        for conn in self._open:
            await conn.aclose(1.0)
        self._open.clear()

    # REST

    async def http(self, method: str, path: str, *, token: str | None = None, instance: int = 0) -> HttpResponse:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await http_request(method, http_base(self.url(instance)) + path, headers=headers, timeout=self.timeout)

    @staticmethod
    def json_body(response: HttpResponse) -> dict[str, Any]:
        try:
            body = json.loads(response.body)
        except ValueError:
            body = None
        expect(isinstance(body, dict), f"HTTP {response.status} body is not a JSON object: {response.body[:120]!r}")
        assert isinstance(body, dict)
        return body
