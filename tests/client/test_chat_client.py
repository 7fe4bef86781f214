"""``chatserver.client.ChatClient`` against a real server: identity, sending, iteration, and the
§9 guarantees it adds (reconnect, gap-free resume, retried sends, bounded buffering)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from chatserver.client import AuthRejected, ChatClient, ClientOptions, Connection, Event, RequestFailed
from chatserver.client.models import RECONNECTED
from tests.conftest import make_token
from tests.tcpproxy import TcpProxy

FAST = ClientOptions(backoff_base=0.05, backoff_max=0.2, ack_timeout=5.0)


async def next_messages(client: ChatClient, count: int, timeout: float = 10.0) -> list[Any]:
    """The next ``count`` messages from iteration (other events are skipped)."""
    got: list[Any] = []

    async def collect() -> None:
        async for event in client:
            if event.message is not None:
                got.append(event.message)
                if len(got) == count:
                    return

    await asyncio.wait_for(collect(), timeout)
    return got


async def guest_room(ws_url: str, business: str) -> tuple[Connection, str]:
    guest = await Connection.open(ws_url)
    await guest.handshake()
    joined = await guest.call("chat:join-room", {"businessId": business, "userName": "Visitor"})
    return guest, joined["room"]["_id"]


async def test_guest_connects_sends_and_resumes_its_session(ws_url, business):
    async with ChatClient(ws_url) as client:
        assert client.identity is not None and client.identity.user_type == "guest"
        assert client.identity.protocol == "v1"
        session_id, guest_id = client.session_id, client.identity.user_id
        joined = await client.join_room(business_id=business, user_name="Bot tester")
        sent = await client.send(joined.room_id, "hello")
        assert sent.seq == 1 and sent.client_msg_id
        [echo] = await next_messages(client, 1)
        assert echo.id == sent.id
    async with ChatClient(ws_url, session_id=session_id) as again:
        assert again.identity is not None and again.identity.resumed and again.identity.user_id == guest_id
        rejoined = await again.join_room(business_id=business)
        assert [m.content for m in rejoined.messages] == ["hello"]


async def test_staff_bot_sees_guest_messages_in_order(ws_url, business, staff_token):
    guest, room_id = await guest_room(ws_url, business)
    async with ChatClient(ws_url, token=staff_token) as bot:
        assert bot.identity is not None and bot.identity.user_type == "staff"
        await bot.join_room(room_id=room_id)
        for i in range(5):
            guest.emit("chat:send-message", {"roomId": room_id, "content": f"m{i}"}, ack=100 + i)
        got = await next_messages(bot, 5)
        assert [m.seq for m in got] == [1, 2, 3, 4, 5]
        assert [m.content for m in got] == [f"m{i}" for i in range(5)]
    await guest.aclose()


async def test_refused_token_raises_auth_rejected(ws_url):
    client = ChatClient(ws_url, token="not-a-jwt")
    with pytest.raises(AuthRejected):
        await client.connect()


async def test_refusals_raise_request_failed_with_the_code(ws_url, business):
    async with ChatClient(ws_url) as client:
        with pytest.raises(RequestFailed) as failure:
            await client.join_room(business_id="no-such-business")
        assert failure.value.code == "not_found" and failure.value.field == "businessId"


async def test_resume_after_network_cut_delivers_missed_messages_once_in_order(ws_url, business, staff_token):
    port = int(ws_url.split(":")[2].split("/")[0])
    proxy = await TcpProxy(port).start()
    guest, room_id = await guest_room(ws_url, business)
    try:
        async with ChatClient(proxy.url(), token=staff_token, options=FAST) as bot:
            await bot.join_room(room_id=room_id)
            await guest.call("chat:send-message", {"roomId": room_id, "content": "before"})
            assert [m.content for m in await next_messages(bot, 1)] == ["before"]

            proxy.cut()
            for i in range(1, 8):  # stored while the bot is away
                await guest.call("chat:send-message", {"roomId": room_id, "content": f"missed {i}"})
            proxy.restore()

            got = await next_messages(bot, 7)
            assert [m.seq for m in got] == list(range(2, 9))
            assert bot.reconnects >= 1 and bot.last_seq(room_id) == 8
            await guest.call("chat:send-message", {"roomId": room_id, "content": "after"})
            [live] = await next_messages(bot, 1)
            assert live.seq == 9
    finally:
        await guest.aclose()
        await proxy.close()


async def test_send_while_disconnected_is_stored_once_after_reconnect(ws_url, business, staff_token):
    port = int(ws_url.split(":")[2].split("/")[0])
    proxy = await TcpProxy(port).start()
    guest, room_id = await guest_room(ws_url, business)
    try:
        async with ChatClient(proxy.url(), token=staff_token, options=FAST) as bot:
            await bot.join_room(room_id=room_id)
            proxy.cut()
            sending = asyncio.ensure_future(bot.send(room_id, "sent during the outage", client_msg_id="bot-1"))
            await asyncio.sleep(0)
            proxy.restore()
            sent = await asyncio.wait_for(sending, 10)
            again = await bot.send(room_id, "sent during the outage", client_msg_id="bot-1")
            assert again.id == sent.id and again.raw["duplicate"] is True
            history = await guest.call("chat:history", {"roomId": room_id})
            assert [m["content"] for m in history["messages"]] == ["sent during the outage"]
    finally:
        await guest.aclose()
        await proxy.close()


async def test_slow_application_loses_nothing_with_a_tiny_buffer(ws_url, business, staff_token):
    guest, room_id = await guest_room(ws_url, business)
    sender = await Connection.open(ws_url, token=make_token("staff", "Bob", business))
    await sender.handshake()
    options = ClientOptions(max_events=2, max_held=3, page_size=4)
    async with ChatClient(ws_url, token=staff_token, options=options) as bot:
        await bot.join_room(room_id=room_id)
        for i in range(1, 31):
            await sender.call("chat:send-message", {"roomId": room_id, "content": f"m{i}"})
        got = await next_messages(bot, 30)
        assert [m.seq for m in got] == list(range(1, 31))
    await guest.aclose()
    await sender.aclose()


async def test_join_after_seq_streams_everything_since(ws_url, business, staff_token):
    guest, room_id = await guest_room(ws_url, business)
    for i in range(1, 11):
        await guest.call("chat:send-message", {"roomId": room_id, "content": f"m{i}"})
    async with ChatClient(ws_url, token=staff_token, options=ClientOptions(page_size=3)) as bot:
        joined = await bot.join_room(room_id=room_id, after_seq=4)
        assert joined.messages == []
        got = await next_messages(bot, 6)
        assert [m.seq for m in got] == [5, 6, 7, 8, 9, 10]
    await guest.aclose()


async def test_reconnect_event_is_announced(ws_url, business):
    token = make_token("customer", "Cleo")
    async with ChatClient(ws_url, token=token, options=FAST) as client:
        await client.reconnect()
        event: Event = await asyncio.wait_for(client.__anext__(), 5)
        assert event.name == RECONNECTED


@pytest.mark.parametrize("backend", ["sqlite"])  # transport behaviour: one backend is enough
async def test_a_silently_dead_connection_is_noticed_while_idle(ws_url, business, staff_token):
    port = int(ws_url.split(":")[2].split("/")[0])
    proxy = await TcpProxy(port).start()
    guest, room_id = await guest_room(ws_url, business)
    options = ClientOptions(backoff_base=0.05, backoff_max=0.2, ping_interval=0.2)
    try:
        async with ChatClient(proxy.url(), token=staff_token, options=options) as bot:
            await bot.join_room(room_id=room_id)
            proxy.freeze(only_open=True)  # nothing gets through any more, nothing is closed; reconnects work
            await guest.call("chat:send-message", {"roomId": room_id, "content": "are you there?"})
            [message] = await next_messages(bot, 1)
            assert message.content == "are you there?" and bot.reconnects >= 1
    finally:
        await guest.aclose()
        await proxy.close()
