"""The one loopback TCP proxy of the tests: a network path a test can cut or freeze on demand.

Why one: the database-outage tests and the client-reconnect tests each had their own proxy with
the same accept-and-pipe loop; they differed only in what "freeze" meant, which is now a
parameter of ``freeze``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass(eq=False)
class _Link:
    """One proxied connection: the client side, the target side, and whether bytes may move."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    flowing: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.flowing.set()

    def abort(self) -> None:
        self.client.transport.abort()
        self.upstream.transport.abort()


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to a target.

    ``cut()`` resets every open connection and refuses new ones (what a database restart or a
    dropped network path looks like to its clients); ``restore()`` lets connections through
    again. ``freeze()`` is the nastier partition: open connections stay open but no byte moves,
    and new ones hang, until ``thaw()``. ``freeze(only_open=True)`` is a half-open network: the
    open connections go silent for good while new ones work (a client must notice and reconnect).
    """

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0  # chosen by the OS in ``start``
        self.up = True
        self.accepted = 0
        self.refused = 0
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._admitting = asyncio.Event()  # cleared by a full freeze: new connections wait
        self._admitting.set()

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def url(self, path: str = "/realtime") -> str:
        """The WebSocket URL of the target, through this proxy."""
        return f"ws://127.0.0.1:{self.port}{path}"

    def cut(self) -> None:
        """Reset every open connection and refuse new ones."""
        self.up = False
        for link in list(self._links):
            link.abort()
        self._links.clear()

    def restore(self) -> None:
        self.up = True

    def freeze(self, *, only_open: bool = False) -> None:
        """Stop moving bytes on every open connection (nothing is closed); new connections wait
        for ``thaw`` too, unless ``only_open``."""
        for link in self._links:
            link.flowing.clear()
        if not only_open:
            self._admitting.clear()

    def thaw(self) -> None:
        for link in self._links:
            link.flowing.set()
        self._admitting.set()

    async def close(self) -> None:
        self.thaw()
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            self.refused += 1
            writer.transport.abort()
            return
        await self._admitting.wait()
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.accepted += 1
        link = _Link(writer, up_writer)
        self._links.add(link)
        for task in (self._pipe(reader, up_writer, link), self._pipe(up_reader, writer, link)):
            spawned = asyncio.ensure_future(task)
            self._tasks.add(spawned)
            spawned.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, link: _Link) -> None:
        try:
            while data := await source.read(65536):
                await link.flowing.wait()
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._links.discard(link)
            for writer in (link.client, link.upstream):
                with contextlib.suppress(Exception):
                    writer.close()
