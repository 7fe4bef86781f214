"""Every conversion of a database row into a domain object, in one place.

A mapper is derived from the domain dataclass: each field is read from the row's column of the
same name, and only the fields whose stored form differs from the domain's name a conversion
(a JSON list becomes a tuple, a string an enum). Adding a column and its field touches no
mapper here.

Two kinds of rows: SQLAlchemy's (ORM objects and Core ``Row``\\s, read by attribute) and the
drivers' on the send path (``sqlite3.Row``, ``asyncpg.Record``, read by key), which give JSON
as text and SQLite's booleans as 0/1: ``Mapper.for_driver`` adds those decodings from the
table's column types.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import fields
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import JSON, Boolean, Table
from sqlalchemy.types import TypeEngine

from chatserver.adapters.sql.models import GuestRow, MessageRow, RoomRow
from chatserver.domain.business import Contact, DayCounts, Faq, StaffAccount
from chatserver.domain.canned import CannedResponse
from chatserver.domain.models import Business, GuestSession, Message, Room, RoomStatus, SenderType
from chatserver.domain.webhooks import Claim, Delivery, DeliveryStatus, Webhook

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")
Convert = Callable[[Any], Any]


class DriverRow(Protocol):
    """A driver's row: ``sqlite3.Row`` or ``asyncpg.Record``."""

    def __getitem__(self, key: str, /) -> Any: ...


class Mapper(Generic[T]):
    """Builds a ``cls`` from a row whose columns are named like its fields; ``convert``: per
    field, what turns the stored value into the field's."""

    __slots__ = ("_converted", "_get", "cls", "convert", "names")

    def __init__(self, cls: type[T], convert: Mapping[str, Convert] | None = None, *, by_key: bool = False) -> None:
        self.cls = cls
        self.names = tuple(field.name for field in fields(cls))
        self.convert = dict(convert or {})
        # one C call reads every field, in the dataclass's order (its positional arguments)
        self._get = (itemgetter if by_key else attrgetter)(*self.names)
        self._converted = tuple((self.names.index(name), fn) for name, fn in self.convert.items())

    def __call__(self, row: Any) -> T:
        values = self._get(row)
        if self._converted:
            values = list(values)
            for i, convert in self._converted:
                values[i] = convert(values[i])
        return self.cls(*values)

    def for_driver(self, table: Table) -> Mapper[T]:
        """The same mapping from a driver's row: read by key, raw values decoded first."""
        convert = {name: _FAST.get(fn, fn) for name, fn in self.convert.items()}
        for name in self.names:
            decode = _decoder(table.c[name].type)
            if decode is not None:
                then = convert.get(name)
                convert[name] = decode if then is None else _FUSED.get((decode, then)) or _chain(decode, then)
        return Mapper(self.cls, convert, by_key=True)


def _decoder(column_type: TypeEngine[Any]) -> Convert | None:
    if isinstance(column_type, JSON):
        return _json
    if isinstance(column_type, Boolean):
        return _bool
    return None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _chain(first: Convert, then: Convert) -> Convert:
    return lambda value: then(first(value))


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value or ())


def _dict(value: Any) -> dict[str, Any]:
    return dict(value or {})


# A driver's row on the send path: a room's tags and extras are nearly always empty, and its
# status one of a few strings. These skip the JSON parser and the enum's constructor for them.
def _json_tuple(value: Any) -> tuple[Any, ...]:
    return () if value is None or value == "[]" else _tuple(_json(value))


def _json_dict(value: Any) -> dict[str, Any]:
    return {} if value is None or value == "{}" else _dict(_json(value))


def _member_of(cls: type[enum.Enum]) -> Convert:
    members = {member.value: member for member in cls}
    return lambda value: members.get(value) or cls(value)


_FUSED: dict[tuple[Convert, Convert], Convert] = {(_json, _tuple): _json_tuple, (_json, _dict): _json_dict}
_FAST: dict[Convert, Convert] = {}


_FAST.update({RoomStatus: _member_of(RoomStatus), SenderType: _member_of(SenderType)})

business = Mapper(Business)
guest = Mapper(GuestSession)
room = Mapper(Room, {"tags": _tuple, "extra": _dict, "status": RoomStatus})
message = Mapper(Message, {"sender_type": SenderType})
faq = Mapper(Faq, {"keywords": _tuple})
canned = Mapper(CannedResponse)
contact = Mapper(Contact)
staff = Mapper(StaffAccount)
webhook = Mapper(Webhook, {"events": _tuple})
delivery = Mapper(Delivery, {"status": DeliveryStatus})
# the analytics chart's query labels its columns with these names; PostgreSQL's SUM is NUMERIC
day_counts = Mapper(DayCounts, dict.fromkeys((field.name for field in fields(DayCounts)), int))

# the plans' rows (append_plan.py, connect_plan.py)
room_from_driver = room.for_driver(cast(Table, RoomRow.__table__))
message_from_driver = message.for_driver(cast(Table, MessageRow.__table__))
guest_from_driver = guest.for_driver(cast(Table, GuestRow.__table__))


def claim(row: Any) -> Claim:
    """A leased delivery joined with its webhook's ``url`` and ``secret`` and its event's ``body``
    (``row[0]`` is the delivery): a join, so its names are not the fields'."""
    leased = row[0]
    return Claim(
        delivery_id=leased.id,
        url=row.url,
        secret=row.secret,
        event_id=leased.event_id,
        event_type=leased.event_type,
        body=row.body,
        attempts=leased.attempts,
        retry_from=leased.retry_from,
    )


_message_fields = attrgetter(*message.names)
_room_fields = attrgetter(*room.names)


def message_values(stored: Message) -> dict[str, Any]:
    """The other way: the ``messages`` row of a message (the send path's INSERT)."""
    values = dict(zip(message.names, _message_fields(stored), strict=True))
    values["sender_type"] = stored.sender_type.value
    return values


def room_values(new_room: Room, owner_key: str, *, activity_at: int) -> dict[str, Any]:
    """The other way: the ``rooms`` row of a new room as the drivers take it (JSON as text), with
    the columns that are not the room's fields (its active-room key, its activity time)."""
    values = dict(zip(room.names, _room_fields(new_room), strict=True))
    values.update(
        owner_key=owner_key,
        activity_at=activity_at,
        status=new_room.status.value,
        tags=json.dumps(list(new_room.tags)),
        extra=json.dumps(new_room.extra),
    )
    return values
