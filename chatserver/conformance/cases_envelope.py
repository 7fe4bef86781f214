"""§2 Envelope, §6 error codes a client can provoke, §7 close 1009 and §8 limits."""

from __future__ import annotations

import json

from chatserver.client.connection import Connection
from chatserver.conformance.case import Case, Need, case, expect, expect_error
from chatserver.conformance.context import Context

MAX_ACK = 2**53 - 1


async def _still_usable(ctx: Context, conn: Connection) -> None:
    """After an error the connection stays open and answers (§6)."""
    reply = await conn.request("chat:history", {"roomId": ctx.unique("no-room")}, timeout=ctx.timeout)
    expect(
        reply.error is not None and reply.error.get("code") == "not_found",
        "the connection is not usable after an error",
    )


@case("envelope.ack-pairing", "§2 Requests with ack")
async def ack_pairing(ctx: Context) -> None:
    conn, _ = await ctx.guest()
    acks = [7, 3, 99, 0, MAX_ACK]
    for number in acks:
        conn.emit("chat:history", {"roomId": ctx.unique("no-room")}, ack=number)
    got = [await conn.wait_for("ack", ctx.timeout) for _ in acks]
    expect([f.get("ack") for f in got] == acks, f"acks must come back in request order: {[f.get('ack') for f in got]}")
    for frame in got:
        expect_error(frame, "not_found", field="roomId")


@case("envelope.error-frame-without-ack", "§2 Requests without ack")
async def error_without_ack(ctx: Context) -> None:
    conn, _ = await ctx.guest()
    conn.emit("chat:dance", {"steps": 3})
    error = expect_error(await conn.next(ctx.timeout), "unknown_event", field="event", where="error")
    expect(error.get("event") == "chat:dance", f"the error frame names the failed event, got {error.get('event')!r}")
    conn.emit("chat:history", {"roomId": ctx.unique("no-room")})
    error = expect_error(await conn.next(ctx.timeout), "not_found", where="error")
    expect(error.get("event") == "chat:history", "the error frame names the failed event")


@case("envelope.data-optional", "§2 Envelope (data omitted or null)")
async def data_optional(ctx: Context) -> None:
    conn, _ = await ctx.guest()
    for frame in ('{"event":"chat:history","ack":1}', '{"event":"chat:history","ack":2,"data":null}'):
        conn.send_raw(frame)
        expect_error(await conn.wait_for("ack", ctx.timeout), "invalid_payload", field="roomId")


@case("envelope.unknown-fields-ignored", "§2 Envelope (unknown fields)")
async def unknown_fields(ctx: Context) -> None:
    conn, _ = await ctx.guest()
    frame = {"event": "chat:join-room", "ack": 5, "future": True, "data": {"businessId": ctx.business, "x-new": 1}}
    conn.send_raw(json.dumps(frame))
    reply = await conn.wait_for("ack", ctx.timeout)
    expect("error" not in reply, f"unknown fields must be ignored, got {reply.get('error')}")


@case("errors.bad-json", "§6 bad_json")
async def bad_json(ctx: Context) -> None:
    conn, _ = await ctx.guest()
    for frame in ("{not json", '{"event":"chat:history","data":{"roomId":"\\ud800"}}'):
        conn.send_raw(frame)
        error = expect_error(await conn.next(ctx.timeout), "bad_json", where="error")
        expect(error.get("event", "missing") is None, "a frame that cannot be read has event: null")
    await _still_usable(ctx, conn)


@case("errors.bad-frame", "§6 bad_frame / §1 text frames only")
async def bad_frame(ctx: Context) -> None:
    conn, _ = await ctx.guest()
    frames: list[str | bytes] = [
        b'{"event":"chat:history"}',  # binary
        "[1, 2]",  # not an object
        '{"data":{}}',  # no event
        '{"event":42}',  # event not a string
        '{"event":"chat:history","ack":-1}',  # ack out of range
        '{"event":"chat:history","ack":9007199254740992}',
        '{"event":"chat:history","ack":1.5}',
    ]
    for frame in frames:
        conn.send_raw(frame)
        expect_error(await conn.next(ctx.timeout), "bad_frame", where="error")
    conn.send_raw('{"event":"chat:history","ack":11,"data":[1]}')  # data not an object: the ack is still answered
    expect_error(await conn.wait_for("ack", ctx.timeout), "bad_frame")
    await _still_usable(ctx, conn)


@case("errors.unknown-event", "§6 unknown_event")
async def unknown_event(ctx: Context) -> None:
    conn, _ = await ctx.guest()
    conn.emit("chat:dance", {}, ack=42)
    expect_error(await conn.wait_for("ack", ctx.timeout), "unknown_event", field="event")
    await _still_usable(ctx, conn)


@case("errors.invalid-payload", "§6 invalid_payload")
async def invalid_payload(ctx: Context) -> None:
    conn, _ = await ctx.guest()
    checks = [
        ("chat:history", {"roomId": 123}, "roomId"),
        ("chat:history", {"roomId": "r", "limit": 0}, "limit"),
        ("chat:history", {"roomId": "r", "afterSeq": -1}, "afterSeq"),
        ("chat:send-message", {"roomId": "r"}, "content"),
        ("chat:join-room", {"businessId": ctx.business, "userName": ""}, "userName"),
    ]
    for event, data, field in checks:
        reply = await conn.request(event, data, timeout=ctx.timeout)
        expect(reply.error is not None, f"{event} {data} must fail")
        assert reply.error is not None
        expect(
            reply.error.get("code") == "invalid_payload", f"{event} {data}: expected invalid_payload, got {reply.error}"
        )
        expect(
            reply.error.get("field") == field,
            f"{event} {data}: expected field {field!r}, got {reply.error.get('field')!r}",
        )


@case("errors.not-found", "§6 not_found")
async def not_found(ctx: Context) -> None:
    conn, _ = await ctx.guest()
    reply = await conn.request("chat:join-room", {"businessId": ctx.unique("no-business")}, timeout=ctx.timeout)
    expect(reply.error is not None and reply.error.get("code") == "not_found", f"unknown business: {reply}")
    expect(reply.error is not None and reply.error.get("field") == "businessId", "not_found names businessId")
    reply = await conn.request("chat:join-room", {"roomId": ctx.unique("no-room")}, timeout=ctx.timeout)
    expect(reply.error is not None and reply.error.get("code") == "not_found", f"unknown room: {reply}")
    expect(reply.error is not None and reply.error.get("field") == "roomId", "not_found names roomId")


@case("errors.forbidden", "§6 forbidden")
async def forbidden(ctx: Context) -> None:
    _, room_id, _ = await ctx.guest_room()
    stranger, _ = await ctx.guest()
    outsider = await ctx.user("staff", "Other Business", business=ctx.unique("other-business"))
    customer = await ctx.user("customer", "Nosy")
    attempts = [
        (stranger, "chat:join-room", {"roomId": room_id}),
        (stranger, "chat:send-message", {"roomId": room_id, "content": "hi"}),
        (stranger, "chat:history", {"roomId": room_id}),
        (outsider, "chat:join-room", {"roomId": room_id}),
        (customer, "chat:send-message", {"roomId": room_id, "content": "hi"}),
    ]
    for conn, event, data in attempts:
        reply = await conn.request(event, data, timeout=ctx.timeout)
        expect(reply.error is not None and reply.error.get("code") == "forbidden", f"{event} by a non-member: {reply}")


@case("errors.rate-limited", "§4 Guest rate limit / §6 rate_limited")
async def rate_limited(ctx: Context) -> None:
    conn, room_id, _ = await ctx.guest_room()
    for i in range(ctx.limits.guest_rate_limit):
        await conn.call("chat:send-message", {"roomId": room_id, "content": f"m{i}"}, timeout=ctx.timeout)
    reply = await conn.request("chat:send-message", {"roomId": room_id, "content": "one too many"}, timeout=ctx.timeout)
    expect(reply.error is not None, f"message {ctx.limits.guest_rate_limit + 1} within a minute must be refused")
    assert reply.error is not None
    expect(reply.error.get("code") == "rate_limited", f"expected rate_limited, got {reply.error}")
    retry = reply.error.get("retryAfterMs")
    expect(isinstance(retry, int) and 0 < retry <= 60_000, f"retryAfterMs must be 1..60000, got {retry!r}")
    history = await conn.call("chat:history", {"roomId": room_id, "limit": 100}, timeout=ctx.timeout)
    contents = [m["content"] for m in history["messages"]]
    expect("one too many" not in contents, "a refused message must not be stored")


@case("errors.too-large", "§4 chat:send-message (content) / §6 too_large")
async def too_large(ctx: Context) -> None:
    conn = await ctx.user("customer", "Verbose")
    room = (await conn.call("chat:join-room", {"businessId": ctx.business}, timeout=ctx.timeout))["room"]
    limit = ctx.limits.max_message_length
    reply = await conn.request(
        "chat:send-message", {"roomId": room["_id"], "content": "x" * (limit + 1)}, timeout=ctx.timeout
    )
    expect(reply.error is not None and reply.error.get("code") == "too_large", f"{limit + 1} characters: {reply}")
    expect(reply.error is not None and reply.error.get("field") == "content", "too_large names field content")
    sent = await conn.call("chat:send-message", {"roomId": room["_id"], "content": "é" * limit}, timeout=ctx.timeout)
    expect(len(sent["content"]) == limit, "exactly MAX_MESSAGE_LENGTH characters (not bytes) is accepted")
    reply = await conn.request("chat:send-message", {"roomId": room["_id"], "content": "   "}, timeout=ctx.timeout)
    expect(reply.error is not None and reply.error.get("code") == "invalid_payload", "blank content is invalid_payload")


@case("errors.limit-reached", "§4 chat:join-room (rooms per session) / §6 limit_reached", Need.MANY_BUSINESSES)
async def limit_reached(ctx: Context) -> None:
    conn, _ = await ctx.guest()
    allowed = ctx.limits.max_rooms_per_session
    for business in ctx.config.businesses[:allowed]:
        await conn.call("chat:join-room", {"businessId": business}, timeout=ctx.timeout)
    reply = await conn.request("chat:join-room", {"businessId": ctx.config.businesses[allowed]}, timeout=ctx.timeout)
    expect(reply.error is not None and reply.error.get("code") == "limit_reached", f"room {allowed + 1}: {reply}")
    again = await conn.request("chat:join-room", {"businessId": ctx.config.businesses[0]}, timeout=ctx.timeout)
    expect(again.error is None, "re-joining an existing room is not limited")


@case("close.1009-frame-too-big", "§7 1009 / §8 MAX_FRAME_BYTES")
async def frame_too_big(ctx: Context) -> None:
    conn, _ = await ctx.guest()
    limit = ctx.limits.max_frame_bytes
    prefix, suffix = '{"event":"chat:history","ack":1,"data":{"roomId":"', '"}}'
    conn.send_raw(prefix + "r" * (limit - len(prefix) - len(suffix)) + suffix)  # exactly the limit: answered
    reply = await conn.wait_for("ack", ctx.timeout)
    expect("error" in reply, "a frame of exactly MAX_FRAME_BYTES is read and answered")
    conn.send_raw(prefix + "r" * (limit + 1 - len(prefix) - len(suffix)) + suffix)
    code = await conn.wait_closed(ctx.timeout)
    expect(code == 1009, f"a frame over MAX_FRAME_BYTES closes with 1009, got {code}")
    expect(not conn.pushed("error"), "no error frame is sent before the 1009 close")
    _, data = await ctx.guest()
    expect(data.get("guestId"), "a new connection works after a 1009 close")


CASES: tuple[Case, ...] = (
    ack_pairing,
    error_without_ack,
    data_optional,
    unknown_fields,
    bad_json,
    bad_frame,
    unknown_event,
    invalid_payload,
    not_found,
    forbidden,
    rate_limited,
    too_large,
    limit_reached,
    frame_too_big,
)
