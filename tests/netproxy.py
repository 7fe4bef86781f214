"""A TCP proxy for tests that can cut the network: every connection through it is dropped and new
ones are refused until ``restore``. Lets a test make a client lose its server deterministically."""

from __future__ import annotations

import asyncio
import contextlib

from tests.services import free_port


class CuttableProxy:
    def __init__(self, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.target_port = target_port
        self.port = free_port()
        self.cut_off = False
        self.accepted = 0
        self.frozen_before = 0  # connections accepted before this number forward nothing any more
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> CuttableProxy:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        return self

    def url(self, path: str = "/realtime") -> str:
        return f"ws://{self.host}:{self.port}{path}"

    def cut(self) -> None:
        """Drop every open connection and refuse new ones."""
        self.cut_off = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def freeze(self) -> None:
        """Silently stop forwarding on every open connection (a half-open network); new ones work."""
        self.frozen_before = self.accepted

    def restore(self) -> None:
        self.cut_off = False

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_off:
            writer.transport.abort()
            return
        self.accepted += 1
        number = self.accepted
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update({writer, up_writer})
        for task in (self._pipe(reader, up_writer, number), self._pipe(up_reader, writer, number)):
            t = asyncio.ensure_future(task)
            self._tasks.add(t)
            t.add_done_callback(self._tasks.discard)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> None:
        try:
            while data := await reader.read(65536):
                if number <= self.frozen_before:
                    continue  # swallowed
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()
