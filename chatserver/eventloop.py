"""Which event loop ``chatserver serve`` runs on.

uvloop (libuv) runs the same asyncio programs with less overhead per callback, socket operation
and timer; on the chat workload it took about a quarter off the CPU per message
(docs/performance.md). It is a dependency on the platforms it supports; ``EVENT_LOOP=asyncio``
runs on the standard loop, and ``auto`` falls back to it where uvloop is not installed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger("chatserver.eventloop")


def chosen_loop(setting: str) -> str:
    """``uvloop`` or ``asyncio`` for ``EVENT_LOOP`` (``auto``, ``uvloop``, ``asyncio``);
    raises ``RuntimeError`` when uvloop is asked for and not installed."""
    available = importlib.util.find_spec("uvloop") is not None
    if setting == "uvloop" and not available:
        raise RuntimeError("EVENT_LOOP=uvloop but uvloop is not installed")
    if setting == "asyncio" or not available:
        return "asyncio"
    return "uvloop"


def run_loop(main: Coroutine[Any, Any, T], setting: str) -> T:
    if chosen_loop(setting) == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)
