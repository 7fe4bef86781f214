"""Guest session expiry, origin checks and secret redaction in logs."""

from __future__ import annotations

import logging

import pytest
from tornado.httpclient import HTTPClientError

from tests.helpers import WsClient


@pytest.fixture
def overrides():
    return {"guest_session_timeout": 1, "allowed_origins": ("https://shop.example",)}


async def test_expired_session_gives_a_new_guest(connect):
    first = await connect()
    old = first.frames[0]["data"]
    first.close()
    import asyncio

    await asyncio.sleep(0.01)  # longer than the 1 ms timeout configured above
    second = await connect(sessionId=old["sessionId"])
    new = second.frames[0]["data"]
    assert new["resumed"] is False
    assert new["guestId"] != old["guestId"] and new["sessionId"] != old["sessionId"]
    third = await connect(sessionId=old["sessionId"])  # an expired session stays expired
    assert third.frames[0]["data"]["resumed"] is False


async def test_origin_not_allowed_is_refused(ws_url):
    with pytest.raises(HTTPClientError) as info:
        await WsClient.connect(ws_url, headers={"Origin": "https://evil.example"})
    assert info.value.code == 403
    ok = await WsClient.connect(ws_url, headers={"Origin": "https://shop.example"})
    assert (await ok.next())["event"] == "guest:registered"
    ok.close()


async def test_access_log_never_contains_session_ids_or_tokens(connect, ws_url, caplog, staff_token):
    caplog.set_level(logging.DEBUG)
    guest = await connect()
    secret = guest.frames[0]["data"]["sessionId"]
    again = await connect(sessionId=secret)
    staff = await connect(token=staff_token)
    again.close()
    staff.close()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "/realtime" in text  # the access log did log these requests
    assert secret not in text and staff_token not in text
