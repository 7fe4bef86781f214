"""The message append, as plain driver SQL: the same statements ``SqlStore`` runs through
SQLAlchemy, compiled once per dialect, plus the conversions from driver rows.

Why not SQLAlchemy at run time: on the send path SQLAlchemy's per-execution work (cache keys,
result metadata, ``Row`` objects, greenlet switches, and on SQLite aiosqlite's thread hops) cost
more than the database itself. The statements are still built with SQLAlchemy from the same
tables, so they cannot drift from the schema; only their execution bypasses it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Protocol, cast

from sqlalchemy import JSON, Boolean, Table, bindparam, insert, select, update
from sqlalchemy.engine import Dialect

from chatserver.chat.models import Message, NewMessage, Room
from chatserver.store.base import Prepare, Prepared
from chatserver.store.business_sql import VISITOR_SENDERS
from chatserver.store.models import MessageRow, RoomRow, WebhookEventRow
from chatserver.store.outbox import has_webhook_column, outbox_row
from chatserver.webhooks.events import message_created

ROOMS = cast(Table, RoomRow.__table__)
MESSAGES = cast(Table, MessageRow.__table__)
WEBHOOK_EVENTS = cast(Table, WebhookEventRow.__table__)

# the send path's statements, built once (building one costs more Python than running it on SQLite)
GET_ROOM = select(ROOMS).where(ROOMS.c.id == bindparam("room_id"))
FIND_BY_CLIENT_ID = select(MESSAGES).where(
    MESSAGES.c.room_id == bindparam("room_id"),
    MESSAGES.c.sender_id == bindparam("sender_id"),
    MESSAGES.c.client_msg_id == bindparam("client_msg_id"),
)
REOPEN = update(ROOMS).where(ROOMS.c.id == bindparam("room_id")).values(status="open", closed_at=None)


def _allocate_seq(unread: str) -> Any:
    """``UPDATE rooms … RETURNING``: the next seq, the preview, one more unread on ``unread``'s
    side, and whether the business has a webhook (read in the statement that allocates the seq)."""
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
        .returning(*ROOMS.c, has_webhook_column())
    )


# unread counters per side: staff have unread visitor messages, visitors staff and system ones
ALLOCATE_FOR_STAFF = _allocate_seq("unread_by_staff")
ALLOCATE_FOR_VISITOR = _allocate_seq("unread_by_visitor")


class Row(Protocol):
    """A driver's row: ``sqlite3.Row`` or ``asyncpg.Record``."""

    def __getitem__(self, key: str, /) -> Any: ...


@dataclass(frozen=True)
class Compiled:
    """One statement for one driver: its SQL text and the order of its named parameters
    (empty for drivers that take a mapping)."""

    sql: str
    order: tuple[str, ...]
    literals: Mapping[str, Any]  # the statement's own values (``last_seq + 1``'s 1)

    def args(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(params[name] if name in params else self.literals[name] for name in self.order)

    def named(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**self.literals, **params} if self.literals else params


@dataclass(frozen=True)
class AppendStatements:
    get_room: Compiled  # FOR UPDATE where the dialect has it: the append will update the row anyway
    reopen: Compiled
    find_by_client_id: Compiled
    allocate_for_staff: Compiled  # a visitor's message: one more unread for staff
    allocate_for_visitor: Compiled
    insert_message: Compiled
    insert_outbox: Compiled

    def allocate(self, sender_type: str) -> Compiled:
        return self.allocate_for_staff if sender_type in VISITOR_SENDERS else self.allocate_for_visitor


def compile_statements(dialect: Dialect, *, positional: bool) -> AppendStatements:
    """``positional``: the driver takes ``$1``-style arguments in order (asyncpg); otherwise
    named parameters in a mapping (sqlite3)."""

    def one(statement: Any) -> Compiled:
        compiled = statement.compile(dialect=dialect)
        order = tuple(compiled.positiontup or ()) if positional else ()
        literals = {name: bind.value for name, bind in compiled.binds.items() if not bind.required and "%(" not in name}
        return Compiled(str(compiled), order, literals)

    def insert_all(table: Table) -> Any:
        columns = [c for c in table.c if not (c.primary_key and c.autoincrement is True)]
        return insert(table).values({column.name: bindparam(column.name) for column in columns})

    return AppendStatements(
        get_room=one(GET_ROOM.with_for_update()),
        reopen=one(REOPEN),
        find_by_client_id=one(FIND_BY_CLIENT_ID),
        allocate_for_staff=one(ALLOCATE_FOR_STAFF),
        allocate_for_visitor=one(ALLOCATE_FOR_VISITOR),
        insert_message=one(insert_all(MESSAGES)),
        insert_outbox=one(insert_all(WEBHOOK_EVENTS)),
    )


def _decoders(table: Table) -> dict[str, Callable[[Any], Any]]:
    """Per column, what turns a raw driver value into the model's (JSON text, 0/1 booleans)."""
    decoders: dict[str, Callable[[Any], Any]] = {}
    for column in table.c:
        if isinstance(column.type, JSON):
            decoders[column.name] = lambda v: json.loads(v) if isinstance(v, str | bytes) else v
        elif isinstance(column.type, Boolean):
            decoders[column.name] = lambda v: None if v is None else bool(v)
    return decoders


ROOM_COLUMNS = tuple(column.name for column in ROOMS.c)
MESSAGE_COLUMNS = tuple(column.name for column in MESSAGES.c)
ROOM_DECODERS = _decoders(ROOMS)
MESSAGE_DECODERS = _decoders(MESSAGES)


def room_from(raw: Row) -> Room:
    from chatserver.store.sql import _room

    values = {name: ROOM_DECODERS.get(name, _same)(raw[name]) for name in ROOM_COLUMNS}
    return _room(cast(Any, SimpleNamespace(**values)))


def message_from(raw: Row) -> Message:
    from chatserver.store.sql import _message

    values = {name: MESSAGE_DECODERS.get(name, _same)(raw[name]) for name in MESSAGE_COLUMNS}
    return _message(cast(Any, SimpleNamespace(**values)))


def _same(value: Any) -> Any:
    return value


class Refused(Exception):
    """``prepare`` refused the append; ``cause`` is what it raised, for the caller."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def prepared(prepare: Prepare | None, new: NewMessage, room: Room | None) -> Prepared:
    """Run ``prepare`` on the room read inside the transaction; without one, ``new`` as given."""
    if prepare is None:
        return Prepared(new)
    try:
        return prepare(room)
    except Exception as exc:
        raise Refused(exc) from exc


def client_id_params(new: NewMessage) -> dict[str, Any]:
    return {"room_id": new.room_id, "sender_id": new.sender_id, "client_msg_id": new.client_msg_id}


def allocate_params(new: NewMessage, now: int, preview_chars: int) -> dict[str, Any]:
    return {"room_id": new.room_id, "preview": new.content[:preview_chars], "now": now}


def new_message(new: NewMessage, message_id: str, seq: int, now: int) -> Message:
    return Message(
        id=message_id,
        room_id=new.room_id,
        seq=seq,
        sender_id=new.sender_id,
        sender_type=new.sender_type,
        sender_name=new.sender_name,
        is_guest=new.is_guest,
        content=new.content,
        created_at=now,
        client_msg_id=new.client_msg_id,
        faq_id=new.faq_id,
    )


def message_params(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "room_id": message.room_id,
        "seq": message.seq,
        "sender_id": message.sender_id,
        "sender_type": message.sender_type.value,
        "sender_name": message.sender_name,
        "is_guest": message.is_guest,
        "content": message.content,
        "created_at": message.created_at,
        "client_msg_id": message.client_msg_id,
        "faq_id": message.faq_id,
    }


def outbox_params(message: Message, business_id: str, now: int) -> dict[str, Any]:
    """The ``message.created`` webhook event's row."""
    return outbox_row(message_created(message, business_id, now))
