"""Closing the open WebSockets of erased visitors (issue 16) when this instance hears the signal
(``DisconnectSignals.on_disconnect``), wherever the erase was asked for.

The close code is 4410 (protocol.md §7): their data and session are gone, so the client should
reconnect without expecting to resume — a guest comes back as a new guest, with a new
``sessionId`` and an empty conversation. No error frame first: nothing the client sent was
wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from chatserver.adapters.http.realtime import RealtimeConnection, close_where
from chatserver.domain.models import Role
from chatserver.fanout.disconnects import Visitors
from chatserver.protocol import CloseCode

log = logging.getLogger("chatserver.realtime")

REASON = "visitor data erased"


def close_erased(connections: Iterable[RealtimeConnection], visitors: Visitors) -> int:
    """Close the guests' and customers' connections among ``connections``; returns how many."""
    closed = close_where(
        connections,
        lambda principal: (
            (principal.role is Role.GUEST and principal.user_id in visitors.guest_ids)
            or (principal.role is Role.CUSTOMER and principal.user_id in visitors.customer_ids)
        ),
        CloseCode.ERASED,
        REASON,
    )
    if closed:
        log.info("closed %d connection(s) of erased visitors", closed)
    return closed
