"""The row mappers (``store/rows.py``): derived from the domain types' fields, so every field
must have its column, and a driver's raw row maps to the same object as SQLAlchemy's."""

from __future__ import annotations

import json
from dataclasses import fields
from types import SimpleNamespace

import pytest

from chatserver.adapters.sql import rows
from chatserver.adapters.sql.models import (
    BusinessRow,
    ContactRow,
    FaqRow,
    GuestRow,
    MessageRow,
    RoomRow,
    StaffAccountRow,
    WebhookDeliveryRow,
    WebhookRow,
)
from chatserver.domain.models import Message, RoomStatus, SenderType


@pytest.mark.parametrize(
    ("mapper", "table"),
    [
        (rows.business, BusinessRow),
        (rows.guest, GuestRow),
        (rows.room, RoomRow),
        (rows.message, MessageRow),
        (rows.faq, FaqRow),
        (rows.contact, ContactRow),
        (rows.staff, StaffAccountRow),
        (rows.webhook, WebhookRow),
        (rows.delivery, WebhookDeliveryRow),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_every_field_of_a_mapped_type_is_a_column(mapper, table):
    columns = {column.name for column in table.__table__.columns}
    assert {field.name for field in fields(mapper.cls)} <= columns


def test_a_driver_row_maps_like_an_orm_row():
    values = {
        "id": "m1",
        "room_id": "r1",
        "seq": 4,
        "sender_id": "g1",
        "sender_type": "guest",
        "sender_name": "G",
        "is_guest": True,
        "content": "hi",
        "created_at": 9,
        "client_msg_id": "c1",
        "faq_id": None,
    }
    from_orm = rows.message(SimpleNamespace(**values))
    from_sqlite = rows.message_from_driver({**values, "is_guest": 1})  # SQLite's booleans are 0/1
    assert from_orm == from_sqlite
    assert from_sqlite.sender_type is SenderType.GUEST and from_sqlite.is_guest is True
    assert rows.message_values(from_orm) == values


def test_json_columns_arrive_as_text_from_a_driver_and_become_tuples_and_dicts():
    row = {field.name: None for field in fields(rows.room.cls)}
    row.update(
        tags=json.dumps(["vip", "anonymous"]),
        extra=json.dumps({"plan": "pro"}),
        is_guest=0,
        is_active=1,
        status="closed",
    )
    room = rows.room_from_driver(row)
    assert room.tags == ("vip", "anonymous") and room.extra == {"plan": "pro"}
    assert room.status is RoomStatus.CLOSED
    assert (room.is_guest, room.is_active) == (False, True)


def test_message_values_has_every_column_of_messages():
    message = Message("m1", "r1", 1, "g1", SenderType.STAFF, "S", False, "x", 1)
    assert set(rows.message_values(message)) == {column.name for column in MessageRow.__table__.columns}
    assert rows.message_values(message)["sender_type"] == "staff"
