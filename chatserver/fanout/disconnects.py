"""Closing visitors' connections on every instance (``ports.disconnects``), through the broker.

An erase commits on one instance while the erased guest may be connected to any other. Each
instance follows one instance-wide channel, ``signal:disconnect``, the way staff connections
follow their business's: the hub hands its frames to this object as if it were a connection,
and the transport, which holds the sockets, registers a listener that closes the matching ones
(``adapters/http/disconnects.py``). The publishing instance receives its own signal back, so
there is one path for local and remote connections alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass

from chatserver.fanout.hub import Frames, Hub
from chatserver.ports.broker import Broker, signal_channel
from chatserver.protocol.broker_codec import disconnect_signal, read_disconnect

log = logging.getLogger("chatserver.disconnects")

CHANNEL = signal_channel("disconnect")


@dataclass(frozen=True, slots=True)
class Visitors:
    """Whose connections to close: guests by ``guestId``, customers by their token's ``sub``."""

    guest_ids: frozenset[str]
    customer_ids: frozenset[str]


Listener = Callable[[Visitors], object]


class DisconnectSignals:
    """The ``Disconnects`` of a server instance and the receiver of everyone's signals."""

    def __init__(self, hub: Hub, broker: Broker) -> None:
        self.hub = hub
        self.broker = broker
        self._listeners: list[Listener] = []

    async def start(self) -> None:
        await self.hub.follow_channel(self, CHANNEL)

    def on_disconnect(self, listener: Listener) -> None:
        """``listener(visitors)`` for every signal, this instance's own included."""
        self._listeners.append(listener)

    async def disconnect(self, guest_ids: Collection[str], customer_ids: Collection[str]) -> None:
        if guest_ids or customer_ids:
            await self.broker.publish(CHANNEL, disconnect_signal(guest_ids, customer_ids))

    # the hub's Connection protocol: the channel's frames arrive here

    def send_text(self, frame: str) -> None:
        found = read_disconnect(frame)
        if found is None:
            log.warning("disconnect signals: ignoring a frame that is not one")
            return
        visitors = Visitors(*found)
        for listener in self._listeners:
            try:
                listener(visitors)
            except Exception:  # one failing listener does not keep the others from closing theirs
                log.exception("disconnect signals: a listener failed")

    def send_frames(self, frames: Frames) -> None:
        for frame in frames.texts:
            self.send_text(frame)
