"""Guest data retention (issue 16): the sweep erases exactly the guests idle longer than their
business keeps data — not the active ones, not those of a business with a longer period — the
operator's ``GUEST_DATA_RETENTION_DAYS`` caps a business's own, each round is bounded, and on
PostgreSQL an instance that does not hold the lock skips the round. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from chatserver.adapters.sql.models import GuestRow, RoomRow
from chatserver.adapters.sql.retention_sql import SqlRetentionStore
from chatserver.domain.business import DAY_MS
from chatserver.domain.clock import now_ms
from chatserver.domain.models import NewMessage, NewRoom, SenderType
from chatserver.domain.privacy import retention_days
from chatserver.protocol import ChatError, wire
from chatserver.usecases.automation import parse_settings
from chatserver.usecases.retention import RetentionSweeper


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"guest_sweep_interval": 0}  # no background rounds: the tests run them


async def guest_with_room(store, business_id: str, guest_id: str, idle_days: float) -> str:
    """A guest whose session and room were last active ``idle_days`` ago."""
    at = now_ms() - int(idle_days * DAY_MS)
    await store.create_guest(guest_id, guest_id.encode().hex()[:64].ljust(64, "0"), "Firefox 131 on Windows", at)
    room = await store.create_room(
        NewRoom(business_id, "Chat", "guest", None, "Visitor", True, guest_id, "Firefox 131 on Windows", None, ()),
        at,
    )
    await store.append_message(NewMessage(room.id, guest_id, SenderType.GUEST, "Visitor", True, "hello"), at)
    return room.id


async def guest_ids(runtime) -> set[str]:
    rooms = {r.guest_id for r in await rooms_of(runtime)}
    async with runtime.store.engine.connect() as conn:
        sessions = set((await conn.execute(select(GuestRow.guest_id))).scalars())
    return rooms | sessions


async def rooms_of(runtime) -> list[Any]:
    async with runtime.store.engine.connect() as conn:
        return list((await conn.execute(select(RoomRow.guest_id, RoomRow.business_id))).all())


def sweeper(runtime, *, server_days: int = 0, batch: int = 100) -> RetentionSweeper:
    return RetentionSweeper(
        SqlRetentionStore(runtime.store.engine, lock_name=f"test-retention:{runtime.settings.database_schema}"),
        runtime.privacy,
        server_days=server_days,
        interval_s=0,
        clock=now_ms,
        batch=batch,
    )


async def settings_with_retention(runtime, business_id: str, days: int | None) -> None:
    await runtime.store.put_business_settings(business_id, {"guestRetentionDays": days}, now_ms())


async def test_the_sweep_erases_exactly_the_guests_idle_past_their_business_retention(
    runtime, business, other_business
):
    store = runtime.store
    await settings_with_retention(runtime, business, 30)
    await settings_with_retention(runtime, other_business, 365)
    await guest_with_room(store, business, "guest_1_idle60aa", 60)
    await guest_with_room(store, business, "guest_1_idle31aa", 31)
    await guest_with_room(store, business, "guest_1_active01", 1)
    await guest_with_room(store, other_business, "guest_1_otherbiz", 60)  # that business keeps a year
    third = await store.create_business("Initech", now_ms())  # no retention at all: kept
    await guest_with_room(store, third.id, "guest_1_keepforx", 4000)

    assert await sweeper(runtime).sweep_once() == 2
    assert await guest_ids(runtime) == {"guest_1_active01", "guest_1_otherbiz", "guest_1_keepforx"}
    assert await sweeper(runtime).sweep_once() == 0  # nothing left to do


async def test_a_guest_still_seen_is_not_idle_even_with_an_old_room(runtime, business):
    await settings_with_retention(runtime, business, 30)
    await guest_with_room(runtime.store, business, "guest_1_reader01", 90)
    async with runtime.store.engine.begin() as conn:  # the guest came back and only read
        await conn.execute(GuestRow.__table__.update().values(last_seen_at=now_ms()))
    assert await sweeper(runtime).sweep_once() == 0
    assert await guest_ids(runtime) == {"guest_1_reader01"}


async def test_the_server_setting_caps_a_business_and_applies_where_it_sets_none(runtime, business, other_business):
    await settings_with_retention(runtime, business, 365)  # longer than the operator allows
    await guest_with_room(runtime.store, business, "guest_1_capped60", 60)
    await guest_with_room(runtime.store, other_business, "guest_1_nosetting", 60)
    await guest_with_room(runtime.store, other_business, "guest_1_recent10", 10)
    assert await sweeper(runtime, server_days=45).sweep_once() == 2
    assert await guest_ids(runtime) == {"guest_1_recent10"}


async def test_rounds_are_bounded_and_the_backlog_is_worked_off(runtime, business):
    await settings_with_retention(runtime, business, 7)
    for n in range(5):
        await guest_with_room(runtime.store, business, f"guest_1_batch{n:04d}", 10 + n)
    bounded = sweeper(runtime, batch=2)
    assert [await bounded.sweep_once() for _ in range(4)] == [2, 2, 1, 0]
    assert await guest_ids(runtime) == set()
    # the erased conversations still count in analytics
    report = await runtime.store.analytics(business, now_ms() - 30 * DAY_MS, now_ms() + 1)
    assert report.guest_rooms == 5 and report.messages_by_sender_type.get("guest") == 5


@pytest.mark.parametrize("backend", ["postgres"])
async def test_an_instance_without_the_lock_skips_the_round(runtime, business):
    await settings_with_retention(runtime, business, 7)
    await guest_with_room(runtime.store, business, "guest_1_lockedaa", 30)
    one, other = sweeper(runtime), sweeper(runtime)
    async with one.store.sweep_lock() as held:
        assert held
        assert await other.sweep_once() == 0  # another instance is sweeping
    assert await other.sweep_once() == 1  # given back when the round ended


def test_retention_is_the_shorter_of_the_two_settings_that_are_set():
    assert retention_days(None, 0) is None
    assert retention_days(30, 0) == 30
    assert retention_days(None, 90) == 90
    assert retention_days(365, 90) == 90
    assert retention_days(30, 90) == 30


def test_settings_accept_and_validate_guest_retention_days():
    assert parse_settings({}).guest_retention_days is None
    assert wire.business_settings(parse_settings({"guestRetentionDays": 90}))["guestRetentionDays"] == 90
    for bad in (0, -1, 1.5, "30", 36_501):
        with pytest.raises(ChatError) as info:
            parse_settings({"guestRetentionDays": bad})
        assert info.value.field == "guestRetentionDays"
    assert parse_settings({"guestRetentionDays": 1}).guest_retention_days == 1
