"""The message append, written once, as a plan (``plan.py``) without I/O.

    allocate seq (UPDATE … RETURNING the room) → prepare → reopen → insert message → outbox row

Two statements for a message in the common case. The room row the allocation returns is the
one ``prepare`` decides on (access, the visitor's name, reopen), so no SELECT precedes it; a
refusal rolls the allocation back. A ``clientMsgId`` already stored is not looked up first
either: the unique index refuses the INSERT, the driver rolls the append back and runs
``existing`` (its ``on_conflict``) — a retry costs a little more so that every first send
costs a statement less.

Nothing here runs SQLAlchemy: the statements were compiled once (``append_sql.py``), and the
rows are the drivers' own (``rows.room_from_driver``). One generator step per statement is
all the plan adds to the send path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.append_sql import AppendStatements
from chatserver.adapters.sql.models import VISITOR_SENDERS
from chatserver.adapters.sql.outbox import outbox_steps
from chatserver.adapters.sql.plan import Conflict, Plan, Refused, Step
from chatserver.domain.events import MessagePosted
from chatserver.domain.models import Message, NewMessage, Room, RoomStatus
from chatserver.ports.store import AppendResult, Prepare, Prepared
from chatserver.usecases.dispatch import webhook_events


class NoSuchRoom(Conflict):
    """The room to append to does not exist (allocating its next seq updated no row)."""


class AppendPlan:
    """The append's statements and decisions for one driver's compiled ``statements``."""

    def __init__(self, statements: AppendStatements, *, new_id: Callable[[], str], preview_chars: int) -> None:
        self._sql = statements
        self._new_id = new_id
        self._preview_chars = preview_chars

    def append(self, new: NewMessage, now: int, prepare: Prepare | None) -> Plan[AppendResult]:
        """Store ``new`` with the room's next seq.

        Raises ``Refused`` (``prepare`` refused it) and ``NoSuchRoom``; a repeated clientMsgId
        raises the driver's unique-index error. The driver rolls back."""
        sql = self._sql
        # a visitor's message is one more unread for staff, anyone else's for the visitor
        allocate = sql.allocate_for_staff if new.sender_type.value in VISITOR_SENDERS else sql.allocate_for_visitor
        preview = new.content[: self._preview_chars]
        params = allocate.bind({"room_id": new.room_id, "preview": preview, "now": now})
        # keyed by the room: appends to other rooms may run side by side with this one
        updated = yield Step(allocate.sql, params, True, key=new.room_id)
        room = None if updated is None else rows.room_from_driver(updated)
        reopen = False
        if prepare is not None:
            decided = _prepared(prepare, new, room)
            new, reopen = decided.message, decided.reopen
        if room is None or updated is None:
            raise NoSuchRoom(new.room_id)
        if reopen:
            yield Step(sql.reopen.sql, sql.reopen.bind({"room_id": new.room_id}), False)
            room = replace(room, status=RoomStatus.OPEN, closed_at=None)
        message = Message(
            id=self._new_id(),
            room_id=new.room_id,
            seq=room.last_seq,
            sender_id=new.sender_id,
            sender_type=new.sender_type,
            sender_name=new.sender_name,
            is_guest=new.is_guest,
            content=new.content,
            created_at=now,
            client_msg_id=new.client_msg_id,
            faq_id=new.faq_id,
        )
        yield Step(sql.insert_message.sql, sql.insert_message.bind(rows.message_values(message)), False)
        # the business has a webhook (read by the UPDATE): only then, so a business without
        # webhooks pays for no event at all
        if updated["hooked"]:
            yield from outbox_steps(sql.insert_outbox, webhook_events(MessagePosted(message, room), now))
        version = updated["config_version"]  # the business's configuration (automation's cache)
        return AppendResult(message, True, room, reopen, config_version=version)

    def existing(self, new: NewMessage) -> Plan[AppendResult | None]:
        """The message an earlier send with ``new``'s clientMsgId stored, if any (no statement
        without a clientMsgId)."""
        if new.client_msg_id is None:
            return None
        find = self._sql.find_by_client_id
        params = {"room_id": new.room_id, "sender_id": new.sender_id, "client_msg_id": new.client_msg_id}
        row = yield Step(find.sql, find.bind(params), True)
        return None if row is None else AppendResult(rows.message_from_driver(row), created=False)


def _prepared(prepare: Prepare, new: NewMessage, room: Room | None) -> Prepared:
    """Run ``prepare`` on the room read inside the transaction."""
    try:
        return prepare(room)
    except Exception as exc:
        raise Refused(exc) from exc
