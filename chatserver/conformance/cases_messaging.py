"""§4 Events, §5 Objects and §9 Client algorithm: joining, sending, ordering, history, resume."""

from __future__ import annotations

import asyncio
from typing import Any

from chatserver.client import ChatClient, ClientOptions
from chatserver.client.connection import Connection
from chatserver.conformance.case import Case, case, expect
from chatserver.conformance.cases_handshake import ISO_MS
from chatserver.conformance.context import Context

ROOM_FIELDS = {
    "_id",
    "businessId",
    "roomName",
    "metadata",
    "tags",
    "isActive",
    "lastMessage",
    "lastMessageAt",
    "lastSeq",
    "createdAt",
}
MESSAGE_FIELDS = {
    "_id",
    "roomId",
    "seq",
    "senderId",
    "senderType",
    "senderName",
    "isGuest",
    "content",
    "createdAt",
    "clientMsgId",
}


def _check_message(message: dict[str, Any]) -> None:
    missing = MESSAGE_FIELDS - set(message)
    expect(not missing, f"message lacks {sorted(missing)}")
    expect(isinstance(message["seq"], int) and message["seq"] >= 1, f"seq must be an integer ≥ 1: {message['seq']!r}")
    expect(ISO_MS.match(str(message["createdAt"])), f"createdAt {message['createdAt']!r} is not ISO 8601 UTC ms")


async def _seqs_pushed(conn: Connection, ctx: Context, room_id: str, count: int) -> list[int]:
    got = []
    for _ in range(count):
        frame = await conn.wait_for("chat:new-message", ctx.timeout, roomId=room_id)
        got.append(int(frame["data"]["seq"]))
    return got


async def _marker(ctx: Context, sender: Connection, members: list[Connection], room_id: str) -> None:
    """Send a last message and wait until every member has it: everything pushed before it is in."""
    marker = await sender.call("chat:send-message", {"roomId": room_id, "content": "marker"}, timeout=ctx.timeout)
    for member in members:
        await member.wait_for("chat:new-message", ctx.timeout, _id=marker["_id"])


@case("join.guest-room", "§4 chat:join-room / §5 Room")
async def join_guest_room(ctx: Context) -> None:
    conn, registered = await ctx.guest()
    joined = await conn.call(
        "chat:join-room",
        {"businessId": ctx.business, "userName": "Ada", "email": "ada@example.com"},
        timeout=ctx.timeout,
    )
    room = joined["room"]
    missing = ROOM_FIELDS - set(room)
    expect(not missing, f"room lacks {sorted(missing)}")
    expect(room["businessId"] == ctx.business, "room.businessId is the business joined")
    expect(room["roomName"] == "Chat with Ada", f"roomName should be 'Chat with Ada', got {room['roomName']!r}")
    expect(room["tags"] == ["anonymous"], f"guest rooms are tagged ['anonymous'], got {room['tags']!r}")
    expect(
        room["isActive"] is True and room["lastSeq"] == 0 and room["lastMessage"] is None,
        "a new room is active and empty",
    )
    meta = room["metadata"]
    expect(meta.get("isGuest") is True and meta.get("userType") == "guest", f"metadata marks a guest room: {meta}")
    info = meta.get("guestInfo") or {}
    expect(info.get("guestId") == registered["guestId"], "metadata.guestInfo.guestId is the guest's id")
    expect(info.get("email") == "ada@example.com", "the email given on join is stored in guestInfo")
    expect(
        "sessionId" not in info and registered["sessionId"] not in str(room),
        "the sessionId must never appear in a room",
    )
    expect(joined["messages"] == [] and joined["hasMore"] is False, "a new room has no messages")
    expect(ISO_MS.match(str(room["createdAt"])), "createdAt is ISO 8601 UTC ms")


@case("join.one-active-room", "§4 chat:join-room (one active room per business)")
async def one_active_room(ctx: Context) -> None:
    conn, room_id, session_id = await ctx.guest_room()
    again = await conn.call("chat:join-room", {"businessId": ctx.business}, timeout=ctx.timeout)
    expect(again["room"]["_id"] == room_id, "joining the same business again returns the same room")
    other_tab, _ = await ctx.guest(session_id=session_id)
    from_tab = await other_tab.call("chat:join-room", {"businessId": ctx.business}, timeout=ctx.timeout)
    expect(from_tab["room"]["_id"] == room_id, "another connection of the same guest gets the same room")


@case("join.customer-room", "§4 chat:join-room / §5 Room (customers)")
async def customer_room(ctx: Context) -> None:
    conn = await ctx.user("customer", "Carol")
    room = (await conn.call("chat:join-room", {"businessId": ctx.business}, timeout=ctx.timeout))["room"]
    meta = room["metadata"]
    expect(meta.get("isGuest") is False and meta.get("userType") == "customer", f"customer room metadata: {meta}")
    expect(meta.get("userId"), "a customer room names its userId")
    expect("guestInfo" not in meta and room["tags"] == [], "a customer room has no guestInfo and no tags")
    expect(room["roomName"] == "Chat with Carol", "without userName the room is named after the token's name")


@case("join.staff-by-room-id", "§4 chat:join-room (staff)")
async def staff_joins(ctx: Context) -> None:
    guest, room_id, _ = await ctx.guest_room()
    await guest.call("chat:send-message", {"roomId": room_id, "content": "hello staff"}, timeout=ctx.timeout)
    staff = await ctx.user("staff", "Sam")
    joined = await staff.call("chat:join-room", {"roomId": room_id}, timeout=ctx.timeout)
    expect(joined["room"]["_id"] == room_id, "staff join a room of their business by roomId")
    expect([m["content"] for m in joined["messages"]] == ["hello staff"], "the join reply carries the latest messages")


@case("send.ack-is-the-stored-message", "§4 chat:send-message / §5 Message")
async def send_ack(ctx: Context) -> None:
    conn, room_id, _ = await ctx.guest_room()
    sent = await conn.call(
        "chat:send-message",
        {"roomId": room_id, "content": "  Hello, I have a question  ", "clientMsgId": ctx.unique("c")},
        timeout=ctx.timeout,
    )
    _check_message(sent)
    expect(sent["content"] == "Hello, I have a question", f"content is trimmed, got {sent['content']!r}")
    expect(sent["seq"] == 1 and sent["duplicate"] is False, "the first message of a room has seq 1, duplicate false")
    expect(sent["senderType"] == "guest" and sent["isGuest"] is True and sent["roomId"] == room_id, "sender fields")
    history = await conn.call("chat:history", {"roomId": room_id}, timeout=ctx.timeout)
    expect([m["_id"] for m in history["messages"]] == [sent["_id"]], "an acknowledged message is stored")


@case("send.delivered-to-every-member", "§4 chat:new-message")
async def delivered_to_members(ctx: Context) -> None:
    guest, room_id, session_id = await ctx.guest_room()
    tab, _ = await ctx.guest(session_id=session_id)
    await tab.call("chat:join-room", {"roomId": room_id}, timeout=ctx.timeout)
    staff = await ctx.user("staff", "Sam")
    await staff.call("chat:join-room", {"roomId": room_id}, timeout=ctx.timeout)
    sent = await guest.call("chat:send-message", {"roomId": room_id, "content": "to everyone"}, timeout=ctx.timeout)
    for member, who in ((guest, "the sender"), (tab, "the sender's other tab"), (staff, "staff")):
        pushed = await member.wait_for("chat:new-message", ctx.timeout, _id=sent["_id"])
        _check_message(pushed["data"])
        expect(pushed["data"]["content"] == "to everyone", f"{who} receives the message as stored")
    reply = await staff.call("chat:send-message", {"roomId": room_id, "content": "staff reply"}, timeout=ctx.timeout)
    expect(reply["senderType"] == "staff" and reply["isGuest"] is False, "staff messages are senderType staff")
    await guest.wait_for("chat:new-message", ctx.timeout, _id=reply["_id"])


@case("send.seq-order", "§5 Message.seq / §9 Joining and ordering")
async def seq_order(ctx: Context) -> None:
    guest, room_id, _ = await ctx.guest_room()
    a = await ctx.user("staff", "Writer A")
    b = await ctx.user("staff", "Writer B")
    per_sender = 15
    futures = []
    for i in range(per_sender):  # pipelined: nobody waits for an ack before sending the next
        futures.append(a.send_request("chat:send-message", {"roomId": room_id, "content": f"a{i}"}))
        futures.append(b.send_request("chat:send-message", {"roomId": room_id, "content": f"b{i}"}))
    replies = [await asyncio.wait_for(f, ctx.timeout) for f in futures]
    seqs = [r.result()["seq"] for r in replies]
    expect(
        sorted(seqs) == list(range(1, 2 * per_sender + 1)),
        f"seqs must be 1..{2 * per_sender} with no gap or repeat: {sorted(seqs)}",
    )
    for sender in ("a", "b"):
        mine = [r.result()["seq"] for r in replies if r.result()["content"].startswith(sender)]
        expect(mine == sorted(mine), "one connection's sends are stored in the order sent")
    got = await _seqs_pushed(guest, ctx, room_id, 2 * per_sender)
    expect(got == list(range(1, 2 * per_sender + 1)), f"a member receives every message once, in seq order: {got}")
    await _marker(ctx, a, [guest], room_id)
    extra = [d["seq"] for d in guest.pushed("chat:new-message")][2 * per_sender :]
    expect(len(extra) == 1, f"no message is pushed twice (after the marker: {extra})")


@case("send.idempotent-client-msg-id", "§4 chat:send-message (Idempotency)")
async def idempotent(ctx: Context) -> None:
    guest, room_id, _ = await ctx.guest_room()
    staff = await ctx.user("staff", "Sam")
    await staff.call("chat:join-room", {"roomId": room_id}, timeout=ctx.timeout)
    cid = ctx.unique("retry")
    first = await guest.call(
        "chat:send-message", {"roomId": room_id, "content": "once", "clientMsgId": cid}, timeout=ctx.timeout
    )
    again = await guest.call(
        "chat:send-message", {"roomId": room_id, "content": "once", "clientMsgId": cid}, timeout=ctx.timeout
    )
    expect(first["duplicate"] is False and again["duplicate"] is True, "the retry is acknowledged with duplicate: true")
    expect(again["_id"] == first["_id"] and again["seq"] == first["seq"], "the retry returns the original message")
    expect(again["clientMsgId"] == cid, "the original's clientMsgId is returned")
    await _marker(ctx, staff, [staff], room_id)
    contents = [d["content"] for d in staff.pushed("chat:new-message")]
    expect(contents == ["once", "marker"], f"a retried message is not delivered again: {contents}")


@case("send.idempotent-across-reconnect", "§9 Sending reliably")
async def idempotent_reconnect(ctx: Context) -> None:
    guest, room_id, session_id = await ctx.guest_room()
    cid = ctx.unique("lost-ack")
    guest.emit("chat:send-message", {"roomId": room_id, "content": "did it arrive?", "clientMsgId": cid}, ack=1)
    await guest.aclose()  # the ack may or may not have been sent: the client cannot know
    again, data = await ctx.guest(session_id=session_id)
    expect(data.get("resumed") is True, "the guest resumes")
    resent = await again.call(
        "chat:send-message", {"roomId": room_id, "content": "did it arrive?", "clientMsgId": cid}, timeout=ctx.timeout
    )
    history = await again.call("chat:history", {"roomId": room_id}, timeout=ctx.timeout)
    stored = [m for m in history["messages"] if m["clientMsgId"] == cid]
    expect(
        len(stored) == 1 and stored[0]["_id"] == resent["_id"],
        f"resending after a reconnect stores the message once: {stored}",
    )


@case("history.paging", "§4 chat:history")
async def history_paging(ctx: Context) -> None:
    conn = await ctx.user("customer", "Pager")
    room_id = (await conn.call("chat:join-room", {"businessId": ctx.business}, timeout=ctx.timeout))["room"]["_id"]
    for i in range(1, 8):
        await conn.call("chat:send-message", {"roomId": room_id, "content": f"m{i}"}, timeout=ctx.timeout)

    async def page(**query: int) -> tuple[list[int], bool]:
        reply = await conn.call("chat:history", {"roomId": room_id, **query}, timeout=ctx.timeout)
        expect(reply["roomId"] == room_id, "history names its roomId")
        return [m["seq"] for m in reply["messages"]], reply["hasMore"]

    expect(await page(limit=3) == ([5, 6, 7], True), "newest page, oldest first, hasMore")
    expect(await page(beforeSeq=5, limit=3) == ([2, 3, 4], True), "paging back with beforeSeq")
    expect(await page(beforeSeq=2, limit=3) == ([1], False), "the oldest page has hasMore false")
    expect(await page(afterSeq=4, limit=2) == ([5, 6], True), "catching up with afterSeq, oldest first")
    expect(await page(afterSeq=6, limit=2) == ([7], False), "the last page after afterSeq has hasMore false")
    expect(await page(afterSeq=7) == ([], False), "nothing after the head")


@case("history.no-repeat-after-join", "§9 Joining and ordering")
async def no_repeat(ctx: Context) -> None:
    guest, room_id, _ = await ctx.guest_room()
    for i in range(3):
        await guest.call("chat:send-message", {"roomId": room_id, "content": f"old {i}"}, timeout=ctx.timeout)
    staff = await ctx.user("staff", "Late Joiner")
    joined = await staff.call("chat:join-room", {"roomId": room_id}, timeout=ctx.timeout)
    expect([m["seq"] for m in joined["messages"]] == [1, 2, 3], "the join reply holds the room's messages")
    await staff.call("chat:history", {"roomId": room_id}, timeout=ctx.timeout)
    await _marker(ctx, guest, [staff], room_id)
    pushed = [d["seq"] for d in staff.pushed("chat:new-message")]
    expect(pushed == [4], f"messages already in the join or history reply are not pushed again: {pushed}")


@case("join.leave-room", "§4 chat:leave-room")
async def leave_room(ctx: Context) -> None:
    guest, room_id, _ = await ctx.guest_room()
    staff = await ctx.user("staff", "Sam")
    await staff.call("chat:join-room", {"roomId": room_id}, timeout=ctx.timeout)
    left = await staff.call("chat:leave-room", {"roomId": room_id}, timeout=ctx.timeout)
    expect(left == {"roomId": room_id, "left": True}, f"leaving a followed room answers left: true, got {left}")
    again = await staff.call("chat:leave-room", {"roomId": room_id}, timeout=ctx.timeout)
    expect(again.get("left") is False, f"leaving it again answers left: false, got {again}")
    sent = await guest.call("chat:send-message", {"roomId": room_id, "content": "after leave"}, timeout=ctx.timeout)
    other = await ctx.user("staff", "Sue")
    await other.call("chat:join-room", {"roomId": room_id}, timeout=ctx.timeout)
    await _marker(ctx, guest, [other], room_id)
    pushed = [d["_id"] for d in staff.pushed("chat:new-message")]
    expect(sent["_id"] not in pushed, "a connection that left a room gets none of its new messages")


@case("resume.after-seq", "§9 Resuming after a disconnect")
async def resume_after_seq(ctx: Context) -> None:
    guest, room_id, session_id = await ctx.guest_room()
    await guest.call("chat:send-message", {"roomId": room_id, "content": "before leaving"}, timeout=ctx.timeout)
    await guest.aclose()
    staff = await ctx.user("staff", "Sam")
    await staff.call("chat:join-room", {"roomId": room_id}, timeout=ctx.timeout)
    for i in range(5):
        await staff.call("chat:send-message", {"roomId": room_id, "content": f"while away {i}"}, timeout=ctx.timeout)
    back, data = await ctx.guest(session_id=session_id)
    expect(data.get("resumed") is True, "the guest resumes its session")
    reply = await back.call(
        "chat:join-room", {"businessId": ctx.business, "afterSeq": 1, "limit": 2}, timeout=ctx.timeout
    )
    expect(reply["room"]["_id"] == room_id, "the guest gets its room back")
    seqs = [m["seq"] for m in reply["messages"]]
    has_more = reply["hasMore"]
    while has_more:
        page = await back.call(
            "chat:history", {"roomId": room_id, "afterSeq": seqs[-1], "limit": 2}, timeout=ctx.timeout
        )
        seqs += [m["seq"] for m in page["messages"]]
        has_more = page["hasMore"]
    expect(
        seqs == [2, 3, 4, 5, 6],
        f"join with afterSeq, then history while hasMore, yields exactly the missed messages: {seqs}",
    )
    live = await staff.call("chat:send-message", {"roomId": room_id, "content": "welcome back"}, timeout=ctx.timeout)
    await back.wait_for("chat:new-message", ctx.timeout, _id=live["_id"])
    pushed = [d["seq"] for d in back.pushed("chat:new-message")]
    expect(pushed == [7], f"after resuming, only new messages are pushed: {pushed}")


@case("resume.client-library", "§9 Client algorithm (chatserver.client)")
async def client_library(ctx: Context) -> None:
    guest, room_id, _ = await ctx.guest_room()
    options = ClientOptions(ack_timeout=ctx.timeout, backoff_base=0.05, backoff_max=0.5)
    async with ChatClient(
        ctx.url(), token=await ctx.token("staff", "Library Bot", business=ctx.business), options=options
    ) as bot:
        await bot.join_room(room_id=room_id)
        await guest.call("chat:send-message", {"roomId": room_id, "content": "one"}, timeout=ctx.timeout)
        await bot.reconnect()
        for text in ("two", "three"):
            await guest.call("chat:send-message", {"roomId": room_id, "content": text}, timeout=ctx.timeout)
        got: list[str] = []
        async with asyncio.timeout(ctx.timeout):
            async for event in bot:
                if event.message is not None:
                    got.append(event.message.content)
                    if len(got) == 3:
                        break
        expect(got == ["one", "two", "three"], f"the client library delivers each message once, in order: {got}")
        sent = await bot.send(room_id, "answer")
        await guest.wait_for("chat:new-message", ctx.timeout, _id=sent.id)


CASES: tuple[Case, ...] = (
    join_guest_room,
    one_active_room,
    customer_room,
    staff_joins,
    send_ack,
    delivered_to_members,
    seq_order,
    idempotent,
    idempotent_reconnect,
    history_paging,
    no_repeat,
    leave_room,
    resume_after_seq,
    client_library,
)
