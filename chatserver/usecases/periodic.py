"""A background round every ``interval_s`` seconds: supervised (a failing round is logged and the
next one runs), started once, cancelled on shutdown. The guest sweeper and the retention sweeper
are each one of these."""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("chatserver.sweeper")


class Periodic:
    """Subclasses give ``sweep_once`` and a ``name`` for the task and the log."""

    name = "periodic"

    def __init__(self, *, interval_s: float) -> None:
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def sweep_once(self) -> int:
        raise NotImplementedError

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: round failed; retrying next interval", self.name)
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        """Runs rounds until ``stop``; an interval of 0 turns it off."""
        if self._task is None and self.interval_s > 0:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
