"""Pipelining a connection's requests: the point where a message's place in the store is fixed.

A connection handles its requests one after the other, so that their effects and answers keep
the order they were sent in. Waiting for each message's transaction to commit before reading
the next one, though, caps a connection at one message per commit (a few milliseconds under
load, more on PostgreSQL): a visitor pasting several lines, a bot, or a busy server with group
commit would wait on its own earlier messages. A store that queues writes in arrival order
(the SQLite and PostgreSQL writers) calls ``order_fixed`` right after it queued a message's
append: from then on the next request of that connection may start, since whatever it writes
is queued behind. The transport that set the hook (``order_hook``) decides whether to go on.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

order_hook: ContextVar[Callable[[], None] | None] = ContextVar("order_hook", default=None)


def order_fixed() -> None:
    """Tell the transport handling the current request that its write is queued in order."""
    hook = order_hook.get()
    if hook is not None:
        hook()
