"""The send path's statements: built with SQLAlchemy from the tables, compiled once per driver.

Why not SQLAlchemy at run time: on the send path SQLAlchemy's per-execution work (cache keys,
result metadata, ``Row`` objects, greenlet switches, and on SQLite aiosqlite's thread hops) cost
more than the database itself. The statements are still built from the same tables as
everything else, so they cannot drift from the schema; only their execution bypasses it
(``append_plan.py`` decides which to run, the drivers run them).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Integer, Table, bindparam, literal_column, select, update
from sqlalchemy.engine import Dialect

from chatserver.adapters.sql.compiled import Compiled, compiler, driver_dialect, insert_all
from chatserver.adapters.sql.models import MessageRow, RoomRow, WebhookEventRow
from chatserver.adapters.sql.outbox import has_webhook_column
from chatserver.domain.models import RoomStatus

ROOMS = cast(Table, RoomRow.__table__)
MESSAGES = cast(Table, MessageRow.__table__)
WEBHOOK_EVENTS = cast(Table, WebhookEventRow.__table__)

# the send path's statements, built once (building one costs more Python than running it on SQLite)
FIND_BY_CLIENT_ID = select(MESSAGES).where(
    MESSAGES.c.room_id == bindparam("room_id"),
    MESSAGES.c.sender_id == bindparam("sender_id"),
    MESSAGES.c.client_msg_id == bindparam("client_msg_id"),
)
REOPEN = update(ROOMS).where(ROOMS.c.id == bindparam("room_id")).values(status=RoomStatus.OPEN.value, closed_at=None)


# written out for the reason ``has_webhook_column`` gives
CONFIG_VERSION = literal_column(
    "(SELECT businesses.config_version FROM businesses WHERE businesses.id = rooms.business_id)", Integer
).label("config_version")


def _allocate_seq(unread: str) -> Any:
    """``UPDATE rooms … RETURNING``: the next seq, the preview, one more unread on ``unread``'s
    side, whether the business has a webhook and its configuration version (both read in the
    statement that allocates the seq)."""
    return (
        update(ROOMS)
        .where(ROOMS.c.id == bindparam("room_id"))
        .values(
            {
                "last_seq": ROOMS.c.last_seq + 1,
                "last_message": bindparam("preview"),
                "last_message_at": bindparam("now"),
                "activity_at": bindparam("now"),
                unread: ROOMS.c[unread] + 1,
            }
        )
        .returning(*ROOMS.c, has_webhook_column(), CONFIG_VERSION)
    )


# unread counters per side: staff have unread visitor messages, visitors staff and system ones
ALLOCATE_FOR_STAFF = _allocate_seq("unread_by_staff")
ALLOCATE_FOR_VISITOR = _allocate_seq("unread_by_visitor")


@dataclass(frozen=True, slots=True)
class AppendStatements:
    reopen: Compiled
    find_by_client_id: Compiled
    allocate_for_staff: Compiled  # a visitor's message: one more unread for staff
    allocate_for_visitor: Compiled
    insert_message: Compiled
    insert_outbox: Compiled


def compile_statements(dialect: Dialect, *, positional: bool) -> AppendStatements:
    """``positional``: the driver takes ``$1``-style arguments in order (asyncpg); otherwise
    named parameters in a mapping (sqlite3)."""

    one = compiler(dialect, positional=positional)
    return AppendStatements(
        reopen=one(REOPEN),
        find_by_client_id=one(FIND_BY_CLIENT_ID),
        allocate_for_staff=one(ALLOCATE_FOR_STAFF),
        allocate_for_visitor=one(ALLOCATE_FOR_VISITOR),
        insert_message=one(insert_all(MESSAGES)),
        insert_outbox=one(insert_all(WEBHOOK_EVENTS)),
    )


@functools.cache
def append_statements(backend: str) -> AppendStatements:
    dialect, positional = driver_dialect(backend)
    return compile_statements(dialect, positional=positional)
