"""A guest's User-Agent is stored as a label ("Firefox 131 on Windows") in the guest session and
the room, unless STORE_FULL_USER_AGENT is set (issue 16). SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from chatserver.adapters.sql.models import GuestRow, RoomRow

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"


async def stored(runtime, guest_id: str) -> tuple[str, str | None]:
    async with runtime.store.engine.connect() as conn:
        session = await conn.scalar(select(GuestRow.user_agent).where(GuestRow.guest_id == guest_id))
        room = await conn.scalar(select(RoomRow.user_agent).where(RoomRow.guest_id == guest_id))
    return session, room


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [({}, "Firefox 131 on Windows"), ({"store_full_user_agent": True}, FIREFOX)],
    ids=["label-by-default", "full-with-setting"],
)
async def test_the_user_agent_is_stored_as_a_label_unless_configured(runtime, connect, business, expected):
    guest = await connect(headers={"User-Agent": FIREFOX})
    guest_id = guest.frames[0]["data"]["guestId"]
    room = (await guest.call("chat:join-room", {"businessId": business}))["room"]
    assert room["metadata"]["guestInfo"]["userAgent"] == expected
    assert await stored(runtime, guest_id) == (expected, expected)


@pytest.mark.parametrize("overrides", [{"store_full_user_agent": True}])
async def test_a_full_user_agent_is_stored_printable_and_bounded(runtime, connect, business):
    guest = await connect(headers={"User-Agent": "bot\t/1.0 v2" + "x" * 5000})
    room = (await guest.call("chat:join-room", {"businessId": business}))["room"]
    assert room["metadata"]["guestInfo"]["userAgent"] == ("bot/1.0 v2" + "x" * 5000)[:512]
