"""The statements of the steps every connection takes: a guest's registration or resume, its
room (found or created), the history it is sent. Built from the tables, compiled once per
driver (``compiled.py``); run by ``connect_plan.py``'s plans."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, TextClause, and_, bindparam, exists, func, select, text, update
from sqlalchemy.engine import Dialect

from chatserver.adapters.sql.compiled import Compiled, compiler, driver_dialect, insert_all
from chatserver.adapters.sql.models import BusinessRow, GuestRow, MessageRow, RoomRow, WebhookEventRow, WebhookRow

GUESTS = cast(Table, GuestRow.__table__)
ROOMS = cast(Table, RoomRow.__table__)
MESSAGES = cast(Table, MessageRow.__table__)
BUSINESSES = cast(Table, BusinessRow.__table__)
WEBHOOKS = cast(Table, WebhookRow.__table__)


@dataclass(frozen=True, slots=True)
class ConnectStatements:
    insert_guest: Compiled
    find_guest: Compiled
    touch_guest: Compiled
    expire_guest: Compiled
    lock_guest: Compiled  # FOR UPDATE where the dialect has it (the rooms-per-guest quota)
    count_guest_rooms: Compiled
    get_room: Compiled
    find_active_room: Compiled
    business_and_active_room: Compiled  # no row: no such business
    insert_room: Compiled
    insert_outbox: Compiled
    messages_after: Compiled  # oldest first
    messages_newest: Compiled  # newest first
    messages_before: Compiled  # newest first


def compile_connect(dialect: Dialect, *, positional: bool) -> ConnectStatements:
    one = compiler(dialect, positional=positional)
    newest = select(MESSAGES).where(MESSAGES.c.room_id == bindparam("room_id"))
    return ConnectStatements(
        insert_guest=one(insert_all(GUESTS)),
        find_guest=one(select(GUESTS).where(GUESTS.c.session_hash == bindparam("session_hash"))),
        touch_guest=one(
            update(GUESTS).where(GUESTS.c.guest_id == bindparam("guest_id")).values(last_seen_at=bindparam("now"))
        ),
        expire_guest=one(update(GUESTS).where(GUESTS.c.guest_id == bindparam("guest_id")).values(expired=True)),
        lock_guest=one(select(GUESTS.c.guest_id).where(GUESTS.c.guest_id == bindparam("guest_id")).with_for_update()),
        count_guest_rooms=one(select(func.count()).select_from(ROOMS).where(ROOMS.c.guest_id == bindparam("guest_id"))),
        get_room=one(select(ROOMS).where(ROOMS.c.id == bindparam("room_id"))),
        find_active_room=one(select(ROOMS).where(*_active_room_terms())),
        business_and_active_room=one(_business_and_active_room()),
        insert_room=one(insert_all(ROOMS)),
        insert_outbox=one(insert_all(cast(Table, WebhookEventRow.__table__))),
        messages_after=one(
            newest.where(MESSAGES.c.seq > bindparam("after_seq")).order_by(MESSAGES.c.seq.asc()).limit(bindparam("n"))
        ),
        messages_newest=one(newest.order_by(MESSAGES.c.seq.desc()).limit(bindparam("n"))),
        messages_before=one(
            newest.where(MESSAGES.c.seq < bindparam("before_seq")).order_by(MESSAGES.c.seq.desc()).limit(bindparam("n"))
        ),
    )


def _active_room_terms() -> tuple[ColumnElement[bool] | TextClause, ...]:
    return (
        ROOMS.c.business_id == bindparam("business_id"),
        ROOMS.c.owner_key == bindparam("owner_key"),
        # written as the partial unique index states it: SQLite uses that index only for this
        # very term (SQLAlchemy's ``is_active = 1`` made it scan the business's rooms)
        text("rooms.is_active"),
    )


def _business_and_active_room() -> Select[Any]:
    """One statement where a join took three: the business (no row: it does not exist),
    whether it has a webhook (``business_hooked``), and the owner's active room with it, if any
    (the room's columns, ``NULL`` when there is none)."""
    hooked = exists().where(WEBHOOKS.c.business_id == BUSINESSES.c.id).label("business_hooked")
    return (
        select(BUSINESSES.c.id.label("business_found"), hooked, *ROOMS.c)
        .select_from(BUSINESSES.outerjoin(ROOMS, and_(*_active_room_terms())))
        .where(BUSINESSES.c.id == bindparam("business_id"))
    )


@functools.cache
def connect_statements(backend: str) -> ConnectStatements:
    dialect, positional = driver_dialect(backend)
    return compile_connect(dialect, positional=positional)
