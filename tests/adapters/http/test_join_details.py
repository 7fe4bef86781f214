"""Visitor details given at ``chat:join-room`` are checked and normalized exactly as
``chat:update-guest-info`` checks them: the same values refused with the same field, the same
form stored (tests/adapters/http/test_staff_workflow.py has the update-guest-info side)."""

from __future__ import annotations

import pytest

from chatserver.domain.models import Principal, Role
from chatserver.protocol import ChatError, ErrorCode
from tests.rest import api


async def test_a_bad_email_at_join_is_refused_and_opens_no_room(connect, base_url, business, staff_token):
    guest = await connect()
    refused = await guest.request("chat:join-room", {"businessId": business, "email": "not-an-email"})
    assert refused["error"]["code"] == "invalid_payload" and refused["error"]["field"] == "email"
    refused = await guest.request("chat:join-room", {"businessId": business, "phone": 33612345678})
    assert refused["error"]["code"] == "invalid_payload" and refused["error"]["field"] == "phone"
    refused = await guest.request("chat:join-room", {"businessId": business, "phone": "call me"})
    assert refused["error"]["code"] == "invalid_payload" and refused["error"]["field"] == "phone"
    status, listed = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", staff_token)
    assert status == 200 and listed["rooms"] == []


async def test_an_email_at_join_is_stored_in_the_form_update_guest_info_stores(connect, business):
    guest = await connect()
    joined = await guest.call("chat:join-room", {"businessId": business, "email": " Jane.Doe@Example.COM "})
    assert joined["room"]["metadata"]["guestInfo"]["email"] == "jane.doe@example.com"


async def test_a_phone_at_join_is_stored_normalized(connect, business):
    guest = await connect()
    joined = await guest.call("chat:join-room", {"businessId": business, "phone": "+33 6 12-34-56-78"})
    assert joined["room"]["metadata"]["guestInfo"]["phone"] == "+33612345678"


async def test_a_phone_at_join_is_checked_and_normalized(runtime, business):
    carol = Principal(role=Role.CUSTOMER, user_id="cust-carol", name="Carol")
    with pytest.raises(ChatError) as refused:
        await runtime.service.open_room(carol, business, None, None, "ua", phone="call me")
    assert refused.value.code is ErrorCode.INVALID_PAYLOAD and refused.value.field == "phone"
    room = await runtime.service.open_room(carol, business, None, None, "ua", phone="+33 6 12-34-56-78")
    assert room.phone == "+33612345678"
