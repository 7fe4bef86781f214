"""The broker interface: per-channel publish/subscribe of opaque bytes between instances.

Pull-based like encode/broadcaster: the hub calls ``next_published`` in one supervised loop, so a
broker knows nothing of local connections. Channels are per room (``room:<id>``) and per business
(``business:<id>``); an instance subscribes only to the channels its connections use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Publication:
    channel: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Resync:
    """Delivered after the broker lost and regained its connection: publications may be missing."""


class Broker(Protocol):
    # False for a broker that delivers only back to this process (the in-process twin): the hub
    # then does not send it a message it has already delivered here itself
    reaches_other_instances: bool

    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    async def subscribe(self, channel: str) -> None: ...
    async def unsubscribe(self, channel: str) -> None: ...
    async def publish(self, channel: str, payload: bytes) -> None: ...
    async def next_published(self) -> Publication | Resync: ...
    async def ping(self) -> None: ...


def room_channel(room_id: str) -> str:
    return f"room:{room_id}"


def business_channel(business_id: str) -> str:
    return f"business:{business_id}"


def signal_channel(name: str) -> str:
    """An instance-wide channel every instance follows (``signal:disconnect``), whatever its clients."""
    return f"signal:{name}"
