"""chat:presence (issue 18): whether any staff member of a business is connected, for the
widget's "Online"; it follows staff connecting and leaving, per business. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from tests.conftest import make_token


async def staff_online(client, business) -> bool:
    return bool((await client.call("chat:presence", {"businessId": business}))["staffOnline"])


async def until(predicate, within_s: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not await predicate():
        assert loop.time() < deadline, "did not happen in time"
        await asyncio.sleep(0.05)


async def test_presence_follows_staff_connecting_and_leaving(connect, business, other_business):
    guest = await connect()
    assert await staff_online(guest, business) is False
    staff = await connect(token=make_token("staff", "Alice", business))
    assert await staff_online(guest, business) is True
    assert await staff_online(guest, other_business) is False  # only that business's staff count
    second = await connect(token=make_token("staff", "Bob", business))
    staff.close()
    await asyncio.sleep(0.2)
    assert await staff_online(guest, business) is True  # Bob is still there
    second.close()

    async def gone() -> bool:
        return not await staff_online(guest, business)

    await until(gone)
    reply = await guest.request("chat:presence", {"businessId": "no-such-business"})
    assert reply["data"] == {"businessId": "no-such-business", "staffOnline": False}


async def test_a_malformed_business_id_is_refused_naming_it(connect):
    guest = await connect()
    for data in ({}, {"businessId": ""}, {"businessId": 5}, {"businessId": "x" * 65}):
        frame = await guest.request("chat:presence", data)
        assert frame["error"]["code"] == "invalid_payload" and frame["error"]["field"] == "businessId", frame
