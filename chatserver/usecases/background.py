"""Work started now and finished later, kept until it is done.

asyncio holds only a weak reference to a task: one nobody keeps may be collected mid-flight.
The owners of fire-and-forget work (connection cleanup, activity marks, coalesced
notifications) keep theirs here, and shutdown waits for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self) -> None:
        """Until everything started here, including what it started meanwhile, is done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
