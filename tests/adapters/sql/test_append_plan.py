"""The append plan without a database: which statements it asks for, in which order, and what it
decides from the rows it is sent back (as SQLite's driver gives them: JSON as text, 0/1 booleans).
The drivers running it on real databases are ``test_append_path.py``'s."""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from chatserver.adapters.sql.append_plan import AppendPlan, NoSuchRoom
from chatserver.adapters.sql.append_sql import compile_statements
from chatserver.adapters.sql.models import MessageRow, RoomRow
from chatserver.adapters.sql.plan import Refused, Step
from chatserver.domain.models import NewMessage, Room, SenderType
from chatserver.ports.store import Prepared

SQL = compile_statements(sqlite.dialect(paramstyle="named"), positional=False)


def _plan() -> AppendPlan:
    return AppendPlan(SQL, new_id=lambda: "m" * 24, preview_chars=5)


def _room_row(**changes: Any) -> dict[str, Any]:
    """A ``rooms`` row as sqlite3 returns it, with the allocation's ``hooked``."""
    row: dict[str, Any] = {column.name: None for column in RoomRow.__table__.columns}
    row.update(
        id="r1",
        business_id="b1",
        room_name="Chat with G",
        user_type="guest",
        user_name="G",
        is_guest=1,
        is_active=1,
        tags=json.dumps(["anonymous"]),
        extra="{}",
        last_seq=7,
        created_at=1,
        status="open",
        staff_read_seq=0,
        visitor_read_seq=0,
        unread_by_staff=1,
        unread_by_visitor=0,
        hooked=0,
        config_version=0,
    )
    row.update(changes)
    return row


def _new(sender: SenderType = SenderType.GUEST, client_msg_id: str | None = "c1") -> NewMessage:
    return NewMessage("r1", "g1", sender, "G", sender is SenderType.GUEST, "hello world", client_msg_id)


def _run(plan: Generator[Step, Any, Any], answers: dict[str, Any]) -> tuple[list[str], Any]:
    """Drive ``plan``, answering each statement by the first word of its SQL and table; the
    statements asked for (an outbox step marked ``+outbox``) and the result."""
    asked: list[str] = []
    row = None
    while True:
        try:
            step = plan.send(row)
        except StopIteration as done:
            return asked, done.value
        key = _kind(step.sql)
        asked.append(key + ("+outbox" if step.outbox else ""))
        row = answers.get(key) if step.fetch else None


def _kind(sql: str) -> str:
    if sql.startswith("SELECT") and "FROM rooms" in sql:
        return "get_room"
    if sql.startswith("SELECT"):
        return "find"
    if sql.startswith("UPDATE") and "RETURNING" in sql:
        return "allocate"
    if sql.startswith("UPDATE"):
        return "reopen"
    return "insert_outbox" if "webhook_events" in sql else "insert_message"


def test_a_new_message_allocates_the_next_seq_and_is_inserted():
    asked, done = _run(_plan().append(_new(), 5, None), {"allocate": _room_row(last_seq=8)})
    assert asked == ["allocate", "insert_message"]
    assert done.created and done.message.seq == 8 and done.message.id == "m" * 24
    assert done.room is not None and done.room.tags == ("anonymous",)
    assert done.room.is_guest is True


def test_a_stored_client_msg_id_is_found_by_the_conflict_plan():
    stored = {column.name: None for column in MessageRow.__table__.columns}
    stored.update(id="old", room_id="r1", seq=3, sender_id="g1", sender_type="guest", sender_name="G")
    stored.update(is_guest=1, content="hello world", created_at=1, client_msg_id="c1")
    asked, done = _run(_plan().existing(_new()), {"find": stored})
    assert asked == ["find"]
    assert done.created is False and done.message.id == "old"
    assert done.message.sender_type is SenderType.GUEST and done.message.is_guest is True


def test_without_a_client_msg_id_nothing_is_looked_up():
    asked, found = _run(_plan().existing(_new(client_msg_id=None)), {})
    assert asked == [] and found is None


def test_prepare_sees_the_room_and_may_reopen_it():
    seen: list[Room | None] = []

    def prepare(room: Room | None) -> Prepared:
        seen.append(room)
        return Prepared(_new(), reopen=True)

    answers = {"allocate": _room_row(status="closed")}
    asked, done = _run(_plan().append(_new(), 5, prepare), answers)
    assert asked == ["allocate", "reopen", "insert_message"]
    assert seen[0] is not None and seen[0].status == "closed" and done.reopened is True
    assert done.room.status == "open" and done.room.closed_at is None


def test_a_refusal_stops_before_the_message_is_written():
    def refuse(_room: Room | None) -> Prepared:
        raise PermissionError("not yours")

    asked: list[str] = []
    plan = _plan().append(_new(), 5, refuse)
    asked.append(_kind(next(plan).sql))
    with pytest.raises(Refused) as info:
        plan.send(_room_row())  # the allocation the driver rolls back
    assert asked == ["allocate"] and isinstance(info.value.cause, PermissionError)


def test_an_unknown_room_is_no_such_room():
    with pytest.raises(NoSuchRoom):
        _run(_plan().append(_new(), 5, None), {"allocate": None})


@pytest.mark.parametrize(
    ("sender", "statement"), [(SenderType.GUEST, SQL.allocate_for_staff), (SenderType.STAFF, SQL.allocate_for_visitor)]
)
def test_the_unread_counter_is_the_other_sides(sender, statement):
    plan = _plan().append(_new(sender), 5, None)
    assert next(plan).sql == statement.sql


def test_a_business_with_a_webhook_gets_the_outbox_row():
    asked, done = _run(_plan().append(_new(), 5, None), {"allocate": _room_row(hooked=1)})
    assert asked == ["allocate", "insert_message", "insert_outbox+outbox"]
    assert done.created is True
