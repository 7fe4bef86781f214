"""One WebSocket connection speaking the envelope of protocol.md §2: the first frame, numbered
requests paired with their ``ack``, and pushed events.

``ChatClient`` builds reconnection and resume on top of it; the conformance suite uses it
directly, because it must see exactly what a server sends (no retries, no deduplication).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from chatserver.client.errors import AckTimeout, AuthRejected, ConnectionClosed, RequestFailed
from chatserver.client.transport import DEFAULT_MAX_MESSAGE, Socket, open_socket
from chatserver.protocol import ErrorCode, events

INVALID = "_invalid"  # key of the stand-in frame recorded for anything that is not a JSON object

Frame = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reply:
    """An ``ack`` frame: ``data`` on success, ``error`` on failure."""

    ack: int
    data: dict[str, Any] | None
    error: dict[str, Any] | None

    @property
    def ok(self) -> bool:
        return self.error is None

    def result(self) -> dict[str, Any]:
        """The data, or ``RequestFailed`` with the error's code."""
        if self.error is not None:
            raise RequestFailed.from_wire(self.error)
        return self.data or {}


def with_query(url: str, **query: str | None) -> str:
    params = {k: v for k, v in query.items() if v is not None}
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


class Connection:
    """Reads frames in one task. Acks resolve their request; other frames go to ``on_push``, or,
    without one, into ``frames`` where ``take``/``wait_for`` find them (a frame that arrives
    while waiting for something else is kept, never lost)."""

    def __init__(self, socket: Socket, *, on_push: Callable[[Frame], None] | None = None, first_ack: int = 1) -> None:
        self.socket = socket
        self.on_push = on_push
        self.frames: list[Frame] = []  # every frame, in arrival order (only without on_push)
        self._taken: set[int] = set()
        self._pending: dict[int, asyncio.Future[Reply]] = {}
        self._acks = itertools.count(first_ack)
        self._changed = asyncio.Event()
        self._done = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        token: str | None = None,
        session_id: str | None = None,
        token_in_query: bool = False,
        headers: dict[str, str] | None = None,
        connect_timeout: float = 10.0,
        max_message_size: int = DEFAULT_MAX_MESSAGE,
        ping_interval: float | None = None,
        on_push: Callable[[Frame], None] | None = None,
    ) -> Connection:
        """Open a connection with the credentials of §3 (the token in an ``Authorization``
        header unless ``token_in_query``). Does not wait for the first frame: see ``handshake``."""
        all_headers = dict(headers or {})
        if token is not None and not token_in_query:
            all_headers["Authorization"] = f"Bearer {token}"
        target = with_query(url, sessionId=session_id, token=token if token_in_query else None)
        socket = await open_socket(
            target,
            headers=all_headers,
            connect_timeout=connect_timeout,
            max_message_size=max_message_size,
            ping_interval=ping_interval,
        )
        return cls(socket, on_push=on_push)

    async def handshake(self, timeout: float = 10.0) -> Frame:
        """The first frame (``guest:registered`` or ``user:authenticated``). Raises ``AuthRejected``
        for ``auth_invalid`` and ``ConnectionClosed`` if the server closes first."""
        frame = await self.next(timeout)
        if frame.get("event") == events.ERROR:
            data = frame.get("data") or {}
            if data.get("code") == ErrorCode.AUTH_INVALID:
                raise AuthRejected(str(data.get("message", "token rejected")))
            raise RequestFailed.from_wire(data)
        if frame.get("event") not in (events.GUEST_REGISTERED, events.USER_AUTHENTICATED):
            raise ConnectionClosed(None, f"unexpected first frame {frame.get('event')!r}")
        return frame

    # reading

    async def _read(self) -> None:
        try:
            while True:
                raw = await self.socket.recv()
                if raw is None:
                    return
                self._receive(_parse(raw))
        finally:
            self._done.set()
            self._changed.set()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionClosed(self.socket.close_code, self.socket.close_reason))
            self._pending.clear()

    def _receive(self, frame: Frame) -> None:
        ack = frame.get("ack")
        future = None
        if frame.get("event") == events.ACK and isinstance(ack, int):
            future = self._pending.pop(ack, None)
        if self.on_push is None:
            self.frames.append(frame)
            if future is not None:
                self._taken.add(len(self.frames) - 1)
            self._changed.set()
        elif future is None:
            self.on_push(frame)
        if future is not None and not future.done() and isinstance(ack, int):
            future.set_result(Reply(ack, frame.get("data"), frame.get("error")))

    # writing

    def send_raw(self, frame: str | bytes) -> None:
        if not self.socket.send(frame):
            raise ConnectionClosed(self.socket.close_code, self.socket.close_reason)

    def emit(self, event: str, data: Any = None, *, ack: int | None = None) -> None:
        body: Frame = {"event": event, "data": {} if data is None else data}
        if ack is not None:
            body["ack"] = ack
        self.send_raw(json.dumps(body, ensure_ascii=False))

    def next_ack(self) -> int:
        return next(self._acks)

    def send_request(self, event: str, data: Any = None) -> asyncio.Future[Reply]:
        """Send with a fresh ack number; the future resolves with the reply (or ``ConnectionClosed``)."""
        ack = self.next_ack()
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        if self._done.is_set():
            future.set_exception(ConnectionClosed(self.socket.close_code, self.socket.close_reason))
            return future
        self._pending[ack] = future
        try:
            self.emit(event, data, ack=ack)
        except ConnectionClosed as exc:
            self._pending.pop(ack, None)
            future.set_exception(exc)
        return future

    async def request(self, event: str, data: Any = None, *, timeout: float = 10.0) -> Reply:
        """Send and wait for the ack. Raises ``AckTimeout`` or ``ConnectionClosed``."""
        future = self.send_request(event, data)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            raise AckTimeout(f"no ack for {event} within {timeout:g} s") from None

    async def call(self, event: str, data: Any = None, *, timeout: float = 10.0) -> dict[str, Any]:
        """``request`` whose ack must succeed: its data, or ``RequestFailed``."""
        return (await self.request(event, data, timeout=timeout)).result()

    # waiting for pushed frames (without on_push)

    async def take(self, predicate: Callable[[Frame], bool], timeout: float = 10.0) -> Frame:
        """The first frame not taken yet that matches; ``TimeoutError`` or ``ConnectionClosed`` otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, frame in enumerate(self.frames):
                if index not in self._taken and predicate(frame):
                    self._taken.add(index)
                    return frame
            if self._done.is_set():
                raise ConnectionClosed(self.socket.close_code, self.socket.close_reason)
            self._changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no matching frame within {timeout:g} s; last frames: {self.frames[-3:]}")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    async def next(self, timeout: float = 10.0) -> Frame:
        return await self.take(lambda frame: True, timeout)

    async def wait_for(self, event: str, timeout: float = 10.0, **match: Any) -> Frame:
        """The first untaken frame named ``event`` whose data has the ``match`` values."""

        def matches(frame: Frame) -> bool:
            data = frame.get("data") or {}
            return frame.get("event") == event and all(data.get(k) == v for k, v in match.items())

        return await self.take(matches, timeout)

    def pushed(self, event: str) -> list[dict[str, Any]]:
        """Data of every frame named ``event`` received so far, taken or not."""
        return [f.get("data") or {} for f in self.frames if f.get("event") == event]

    def divert(self, on_push: Callable[[Frame], None]) -> None:
        """From now on hand pushed frames to ``on_push``, starting with those already received."""
        waiting = [f for i, f in enumerate(self.frames) if i not in self._taken]
        self.frames, self._taken = [], set()
        self.on_push = on_push
        for frame in waiting:
            on_push(frame)

    # closing

    @property
    def closed(self) -> bool:
        return self._done.is_set()

    @property
    def close_code(self) -> int | None:
        return self.socket.close_code

    async def wait_closed(self, timeout: float | None = 10.0) -> int | None:
        """Wait until the connection is closed (``timeout`` None: for as long as it takes); the close code."""
        await asyncio.wait_for(self._done.wait(), timeout)
        return self.socket.close_code

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        self.socket.close(code, reason)

    async def aclose(self, timeout: float = 2.0) -> None:
        """Close and wait (briefly) for the close handshake; the reader ends either way."""
        self.close()
        try:
            await asyncio.wait_for(self._done.wait(), timeout)
        except TimeoutError:
            self._reader.cancel()


def _parse(raw: str | bytes) -> Frame:
    if isinstance(raw, bytes):
        return {INVALID: raw.decode("utf-8", "replace"), "binary": True}
    try:
        frame = json.loads(raw)
    except ValueError:
        return {INVALID: raw}
    return frame if isinstance(frame, dict) else {INVALID: raw}
