"""Several instances behind one database (and, with ``--cluster``, one broker).

Without ``--cluster`` only what the shared database guarantees is checked: sessions, rooms,
history, ``seq`` allocation and idempotency are the same whichever instance a client reaches.
With ``--cluster`` (instances sharing a broker such as Redis) live delivery crosses instances too.
"""

from __future__ import annotations

import asyncio

from chatserver.conformance.case import Case, Need, case, expect
from chatserver.conformance.context import Context

A, B = 0, 1


@case("cluster.session-on-other-instance", "§3 guest:registered (resumed)", Need.TWO_URLS)
async def session_elsewhere(ctx: Context) -> None:
    first, data = await ctx.guest(A)
    await first.aclose()
    _, again = await ctx.guest(B, session_id=data["sessionId"])
    expect(again.get("resumed") is True and again.get("guestId") == data["guestId"], "a session from A resumes on B")


@case("cluster.same-active-room", "§4 chat:join-room (one active room)", Need.TWO_URLS)
async def same_room(ctx: Context) -> None:
    _, room_id, session_id = await ctx.guest_room(A)
    tab, _ = await ctx.guest(B, session_id=session_id)
    joined = await tab.call("chat:join-room", {"businessId": ctx.business}, timeout=ctx.timeout)
    expect(joined["room"]["_id"] == room_id, "the guest's active room is the same on both instances")


@case("cluster.resume-on-other-instance", "§9 Resuming after a disconnect", Need.TWO_URLS)
async def resume_elsewhere(ctx: Context) -> None:
    guest, room_id, session_id = await ctx.guest_room(A)
    await guest.call("chat:send-message", {"roomId": room_id, "content": "sent on A"}, timeout=ctx.timeout)
    await guest.aclose()
    staff = await ctx.user("staff", "Sam", instance=A)
    for i in range(4):
        await staff.call("chat:send-message", {"roomId": room_id, "content": f"reply {i}"}, timeout=ctx.timeout)
    back, data = await ctx.guest(B, session_id=session_id)
    expect(data.get("resumed") is True, "the guest resumes on B")
    reply = await back.call("chat:join-room", {"businessId": ctx.business, "afterSeq": 1}, timeout=ctx.timeout)
    seqs = [m["seq"] for m in reply["messages"]]
    expect(seqs == [2, 3, 4, 5] and reply["hasMore"] is False, f"B returns exactly what was missed on A: {seqs}")


@case("cluster.idempotent-on-other-instance", "§4 chat:send-message (Idempotency)", Need.TWO_URLS)
async def idempotent_elsewhere(ctx: Context) -> None:
    guest, room_id, session_id = await ctx.guest_room(A)
    cid = ctx.unique("cross")
    first = await guest.call(
        "chat:send-message", {"roomId": room_id, "content": "x", "clientMsgId": cid}, timeout=ctx.timeout
    )
    other, _ = await ctx.guest(B, session_id=session_id)
    again = await other.call(
        "chat:send-message", {"roomId": room_id, "content": "x", "clientMsgId": cid}, timeout=ctx.timeout
    )
    expect(again["duplicate"] is True and again["_id"] == first["_id"], "a retry on B returns A's original")


@case("cluster.seq-with-writers-on-both", "§5 Message.seq", Need.TWO_URLS)
async def seq_both(ctx: Context) -> None:
    _, room_id, _ = await ctx.guest_room(A)
    a = await ctx.user("staff", "Writer A", instance=A)
    b = await ctx.user("staff", "Writer B", instance=B)
    futures = []
    for i in range(15):
        futures.append(a.send_request("chat:send-message", {"roomId": room_id, "content": f"a{i}"}))
        futures.append(b.send_request("chat:send-message", {"roomId": room_id, "content": f"b{i}"}))
    seqs = sorted([(await asyncio.wait_for(f, ctx.timeout)).result()["seq"] for f in futures])
    expect(seqs == list(range(1, 31)), f"concurrent writers on two instances get seqs 1..30, no gap or repeat: {seqs}")
    page = await b.call("chat:history", {"roomId": room_id, "afterSeq": 0, "limit": 100}, timeout=ctx.timeout)
    expect([m["seq"] for m in page["messages"]] == list(range(1, 31)), "history on B is complete and in order")


@case("cluster.live-across-instances", "§4 chat:new-message", Need.TWO_URLS, Need.CLUSTER)
async def live_across(ctx: Context) -> None:
    guest, room_id, _ = await ctx.guest_room(A)
    staff = await ctx.user("staff", "Remote", instance=B)
    await staff.call("chat:join-room", {"roomId": room_id}, timeout=ctx.timeout)
    sent = await guest.call("chat:send-message", {"roomId": room_id, "content": "from A"}, timeout=ctx.timeout)
    await staff.wait_for("chat:new-message", ctx.timeout, _id=sent["_id"])
    reply = await staff.call("chat:send-message", {"roomId": room_id, "content": "from B"}, timeout=ctx.timeout)
    await guest.wait_for("chat:new-message", ctx.timeout, _id=reply["_id"])


@case("cluster.order-across-instances", "§9 Joining and ordering", Need.TWO_URLS, Need.CLUSTER)
async def order_across(ctx: Context) -> None:
    _, room_id, session_id = await ctx.guest_room(A)
    watcher, _ = await ctx.guest(B, session_id=session_id)
    await watcher.call("chat:join-room", {"roomId": room_id}, timeout=ctx.timeout)
    a = await ctx.user("staff", "Writer A", instance=A)
    b = await ctx.user("staff", "Writer B", instance=B)
    futures = []
    for i in range(15):
        futures.append(a.send_request("chat:send-message", {"roomId": room_id, "content": f"a{i}"}))
        futures.append(b.send_request("chat:send-message", {"roomId": room_id, "content": f"b{i}"}))
    for future in futures:
        (await asyncio.wait_for(future, ctx.timeout)).result()
    got = []
    for _ in range(30):
        got.append((await watcher.wait_for("chat:new-message", ctx.timeout))["data"]["seq"])
    expect(got == list(range(1, 31)), f"a member on B receives writes from A and B once each, in seq order: {got}")


@case("cluster.tabs-on-two-instances", "§4 chat:new-message (other tabs)", Need.TWO_URLS, Need.CLUSTER)
async def tabs(ctx: Context) -> None:
    tab_a, room_id, session_id = await ctx.guest_room(A)
    tab_b, _ = await ctx.guest(B, session_id=session_id)
    await tab_b.call("chat:join-room", {"roomId": room_id}, timeout=ctx.timeout)
    sent = await tab_a.call("chat:send-message", {"roomId": room_id, "content": "tab A"}, timeout=ctx.timeout)
    await tab_b.wait_for("chat:new-message", ctx.timeout, _id=sent["_id"])


CASES: tuple[Case, ...] = (
    session_elsewhere,
    same_room,
    resume_elsewhere,
    idempotent_elsewhere,
    seq_both,
    live_across,
    order_across,
    tabs,
)
