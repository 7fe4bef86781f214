"""§10 REST API: authentication, room list, room messages, health."""

from __future__ import annotations

from chatserver.conformance.case import Case, case, expect
from chatserver.conformance.context import Context


@case("rest.rooms-auth", "§10 REST API (authentication) / §6 auth_invalid, forbidden")
async def rooms_auth(ctx: Context) -> None:
    anonymous = await ctx.http("GET", f"/api/chat/rooms?businessId={ctx.business}")
    expect(anonymous.status == 401, f"no token: expected 401, got {anonymous.status}")
    expect(
        anonymous.headers.get("www-authenticate", "").lower().startswith("bearer"),
        "401 carries WWW-Authenticate: Bearer",
    )
    expect(
        ctx.json_body(anonymous).get("error", {}).get("code") == "auth_invalid", "401 body has error.code auth_invalid"
    )
    outsider = await ctx.token("staff", "Outsider", business=ctx.unique("other-business"))
    other = await ctx.http("GET", f"/api/chat/rooms?businessId={ctx.business}", token=outsider)
    expect(other.status == 403, f"staff of another business: expected 403, got {other.status}")
    expect(ctx.json_body(other).get("error", {}).get("code") == "forbidden", "403 body has error.code forbidden")


@case("rest.rooms-list", "§10 GET /api/chat/rooms")
async def rooms_list(ctx: Context) -> None:
    guest, room_id, _ = await ctx.guest_room(name="Listed Guest")
    await guest.call("chat:send-message", {"roomId": room_id, "content": "latest activity"}, timeout=ctx.timeout)
    token = await ctx.token("staff", "Lister", business=ctx.business)
    response = await ctx.http("GET", f"/api/chat/rooms?businessId={ctx.business}&limit=1", token=token)
    expect(response.status == 200, f"expected 200, got {response.status}")
    body = ctx.json_body(response)
    rooms = body.get("rooms")
    expect(isinstance(rooms, list) and len(rooms) == 1, "limit=1 returns one room")
    assert isinstance(rooms, list)
    expect(rooms[0]["_id"] == room_id, "the most recently active room comes first")
    expect(rooms[0]["lastMessage"] == "latest activity" and rooms[0]["lastSeq"] == 1, "the room shows its last message")
    expect("sessionId" not in str(rooms), "no sessionId in the room list")
    cursor = body.get("nextCursor")
    expect(isinstance(cursor, str) and cursor, "a business with more rooms gives a nextCursor")
    following = await ctx.http("GET", f"/api/chat/rooms?businessId={ctx.business}&limit=1&cursor={cursor}", token=token)
    expect(following.status == 200, "the cursor is accepted")
    next_rooms = ctx.json_body(following).get("rooms") or []
    expect(all(r["_id"] != room_id for r in next_rooms), "the next page does not repeat the first")
    bad = await ctx.http("GET", f"/api/chat/rooms?businessId={ctx.business}&limit=0", token=token)
    expect(
        bad.status == 400 and ctx.json_body(bad)["error"]["code"] == "invalid_payload", "limit=0 is 400 invalid_payload"
    )


@case("rest.room-messages", "§10 GET /api/chat/rooms/{roomId}/messages")
async def room_messages(ctx: Context) -> None:
    guest, room_id, _ = await ctx.guest_room()
    for i in range(1, 5):
        await guest.call("chat:send-message", {"roomId": room_id, "content": f"m{i}"}, timeout=ctx.timeout)
    token = await ctx.token("staff", "Reader", business=ctx.business)
    response = await ctx.http("GET", f"/api/chat/rooms/{room_id}/messages?afterSeq=1&limit=2", token=token)
    expect(response.status == 200, f"expected 200, got {response.status}")
    body = ctx.json_body(response)
    expect(
        [m["seq"] for m in body["messages"]] == [2, 3] and body["hasMore"] is True, f"paging like chat:history: {body}"
    )
    customer = await ctx.token("customer", "Stranger")
    denied = await ctx.http("GET", f"/api/chat/rooms/{room_id}/messages", token=customer)
    expect(denied.status == 403, f"a customer reading a guest's room: expected 403, got {denied.status}")
    missing = await ctx.http("GET", f"/api/chat/rooms/{ctx.unique('no-room')}/messages", token=token)
    expect(
        missing.status == 404 and ctx.json_body(missing)["error"]["code"] == "not_found",
        "unknown room is 404 not_found",
    )


@case("rest.health", "§10 GET /healthz")
async def health(ctx: Context) -> None:
    response = await ctx.http("GET", "/healthz")
    expect(response.status == 200 and ctx.json_body(response).get("status") == "ok", f"healthz: {response.status}")


CASES: tuple[Case, ...] = (rooms_auth, rooms_list, room_messages, health)
