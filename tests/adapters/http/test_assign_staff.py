"""``chat:assign`` (and the REST ``assignedTo``) hands a room only to staff of its business: the
caller, a staff account of the business, or a staff member connected with a token for it; or to
nobody. Anyone else is ``not_found`` on ``staffId`` and the room keeps its assignee."""

from __future__ import annotations

from tests.conftest import make_token
from tests.rest import api


async def _room(connect, business: str) -> str:
    guest = await connect()
    joined = await guest.call("chat:join-room", {"businessId": business, "userName": "Visitor"})
    return str(joined["room"]["_id"])


async def test_only_staff_of_the_business_can_be_assigned(connect, runtime, business, other_business, staff_token):
    room_id = await _room(connect, business)
    staff = await connect(token=staff_token)
    await connect(token=make_token("staff", "Olga", other_business))  # connected, but elsewhere
    account = await runtime.staff_auth.add_staff(business, "bob@example.com", "Bob", "correct horse battery")
    outsider = await runtime.staff_auth.add_staff(other_business, "eve@example.com", "Eve", "correct horse battery")
    for staff_id in ("staff-olga", outsider.user_id, "guest_1_aaaaaaaa", "staff-nobody"):
        refused = await staff.request("chat:assign", {"roomId": room_id, "staffId": staff_id})
        assert refused["error"]["code"] == "not_found" and refused["error"]["field"] == "staffId", staff_id
    assigned = await staff.call("chat:assign", {"roomId": room_id, "staffId": account.user_id})
    assert assigned["room"]["assignedTo"] == account.user_id  # an account, not connected
    assert (await staff.call("chat:assign", {"roomId": room_id, "staffId": "staff-alice"}))["room"]["assignedTo"]
    assert (await staff.call("chat:assign", {"roomId": room_id, "staffId": None}))["room"]["assignedTo"] is None


async def test_a_rest_assignment_to_another_business_is_not_found(connect, base_url, business, staff_token):
    room_id = await _room(connect, business)
    status, body = await api(
        base_url, "PATCH", f"/api/chat/rooms/{room_id}", staff_token, body={"assignedTo": "staff-mallory"}
    )
    assert status == 404 and body["error"]["code"] == "not_found" and body["error"]["field"] == "staffId"
    status, body = await api(base_url, "GET", f"/api/chat/rooms/{room_id}", staff_token)
    assert status == 200 and body["room"]["assignedTo"] is None
