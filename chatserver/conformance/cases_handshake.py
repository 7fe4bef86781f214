"""§3 Connecting and identity, and the 4401 close of §7."""

from __future__ import annotations

import re
import time

from chatserver.conformance.case import Case, CaseFailed, Need, case, expect, expect_error
from chatserver.conformance.context import Context
from chatserver.protocol import PROTOCOL_VERSION

GUEST_ID = re.compile(r"^guest_\d{13}_[0-9a-z]{8}$")
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43,}$")  # 256 bits, URL-safe base64
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@case("handshake.guest-registered", "§3 guest:registered")
async def guest_registered(ctx: Context) -> None:
    _, data = await ctx.guest()
    expect(GUEST_ID.match(str(data.get("guestId"))), f"guestId {data.get('guestId')!r} is not guest_<ms>_<8 base36>")
    expect(SESSION_ID.match(str(data.get("sessionId"))), "sessionId is not ≥ 256 bits of URL-safe base64")
    expect(data.get("resumed") is False, f"a new guest must have resumed: false, got {data.get('resumed')!r}")
    expect(ISO_MS.match(str(data.get("expiresAt"))), f"expiresAt {data.get('expiresAt')!r} is not ISO 8601 UTC ms")


@case("handshake.protocol-version", "§3 / §12 Versions (protocol in the first frame)")
async def protocol_version(ctx: Context) -> None:
    _, data = await ctx.guest()
    announced = data.get("protocol")
    expect(
        announced == PROTOCOL_VERSION, f"server announces protocol {announced!r}; this suite checks {PROTOCOL_VERSION}"
    )
    user = await ctx.raw(token=await ctx.token("customer", "Version Check"))
    first = await user.next(ctx.timeout)
    announced = (first.get("data") or {}).get("protocol")
    expect(announced == PROTOCOL_VERSION, f"user:authenticated announces {announced!r}, not {PROTOCOL_VERSION}")


@case("handshake.guest-resume", "§3 guest:registered (resumed)")
async def guest_resume(ctx: Context) -> None:
    first, data = await ctx.guest()
    await first.aclose()
    _, again = await ctx.guest(session_id=data["sessionId"])
    expect(again.get("resumed") is True, "presenting the sessionId must resume the guest (resumed: true)")
    expect(again.get("guestId") == data["guestId"], "a resumed guest keeps its guestId")
    expect(again.get("sessionId") == data["sessionId"], "a resumed guest keeps its sessionId")


@case("handshake.unknown-session", "§3 guest:registered (unknown sessionId)")
async def unknown_session(ctx: Context) -> None:
    bogus = ctx.unique("not-a-session-this-server-issued")
    _, data = await ctx.guest(session_id=bogus)
    expect(data.get("resumed") is False, "an unknown sessionId must give a new guest with resumed: false")
    expect(data.get("sessionId") != bogus, "an unknown sessionId must be replaced by a new one")


@case("handshake.token-query", "§3 user:authenticated (?token=)")
async def token_in_query(ctx: Context) -> None:
    token = await ctx.token("customer", "Carol Query")
    conn = await ctx.raw(token=token, token_in_query=True)
    first = await conn.next(ctx.timeout)
    expect(first.get("event") == "user:authenticated", f"expected user:authenticated, got {first}")
    data = first.get("data") or {}
    expect(data.get("userType") == "customer", f"userType should be customer, got {data.get('userType')!r}")
    expect(data.get("businessId") is None, "a customer has businessId null")
    expect(data.get("name") == "Carol Query", f"name should come from the token, got {data.get('name')!r}")
    expect(isinstance(data.get("userId"), str) and data["userId"], "userId must be the token's sub")


@case("handshake.token-header", "§3 user:authenticated (Authorization header)")
async def token_in_header(ctx: Context) -> None:
    conn = await ctx.raw(token=await ctx.token("staff", "Stella Header", business=ctx.business))
    first = await conn.next(ctx.timeout)
    expect(first.get("event") == "user:authenticated", f"expected user:authenticated, got {first}")
    data = first.get("data") or {}
    expect(data.get("userType") == "staff", f"userType should be staff, got {data.get('userType')!r}")
    expect(data.get("businessId") == ctx.business, "a staff member's businessId comes from the token")


@case("handshake.token-wins", "§3 (token and sessionId both given)")
async def token_wins(ctx: Context) -> None:
    guest, data = await ctx.guest()
    await guest.aclose()
    conn = await ctx.raw(token=await ctx.token("customer", "Both"), session_id=data["sessionId"])
    first = await conn.next(ctx.timeout)
    expect(first.get("event") == "user:authenticated", "when a token and a sessionId are given, the token wins")


async def _refused(ctx: Context, token: str) -> None:
    """§3: an error frame with auth_invalid, then close 4401; never a silent guest."""
    conn = await ctx.raw(token=token)
    first = await conn.next(ctx.timeout)
    if first.get("event") == "guest:registered":
        raise CaseFailed("a bad token was downgraded to a guest")
    error = expect_error(first, "auth_invalid", where="error")
    expect(error.get("event", "missing") is None, "the auth_invalid error frame has event: null")
    code = await conn.wait_closed(ctx.timeout)
    expect(code == 4401, f"expected close code 4401 after auth_invalid, got {code}")


def _tamper(token: str) -> str:
    head, body, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{head}.{body}.{flipped}"


@case("handshake.auth-bad-signature", "§3 / §7 4401")
async def auth_bad_signature(ctx: Context) -> None:
    await _refused(ctx, _tamper(await ctx.token("customer", "Mallory")))


@case("handshake.auth-expired", "§3 / §7 4401")
async def auth_expired(ctx: Context) -> None:
    await _refused(ctx, await ctx.token("customer", "Late", ttl=-120))


@case("handshake.auth-alg-none", "§3 / §7 4401")
async def auth_alg_none(ctx: Context) -> None:
    import base64
    import json

    def b64(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    claims = {"sub": ctx.unique("none"), "role": "customer", "name": "None", "exp": int(time.time()) + 600}
    await _refused(ctx, f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.")


@case("handshake.auth-missing-claim", "§3 (claims) / §7 4401", Need.SIGNING_KEY)
async def auth_missing_claim(ctx: Context) -> None:
    await _refused(
        ctx, ctx.tokens.sign({"sub": ctx.unique("noname"), "role": "customer", "exp": int(time.time()) + 600})
    )


@case("handshake.auth-wrong-algorithm", "§3 (algorithm fixed by the server) / §7 4401", Need.SIGNING_KEY)
async def auth_wrong_algorithm(ctx: Context) -> None:
    claims = {"sub": ctx.unique("hs512"), "role": "customer", "name": "Alg", "exp": int(time.time()) + 600}
    await _refused(ctx, ctx.tokens.sign(claims, algorithm="HS512"))


@case("handshake.staff-without-business", "§3 (claims) / §7 4401", Need.SIGNING_KEY)
async def staff_without_business(ctx: Context) -> None:
    claims = {"sub": ctx.unique("staff"), "role": "staff", "name": "Nobody", "exp": int(time.time()) + 600}
    await _refused(ctx, ctx.tokens.sign(claims))


CASES: tuple[Case, ...] = (
    guest_registered,
    protocol_version,
    guest_resume,
    unknown_session,
    token_in_query,
    token_in_header,
    token_wins,
    auth_bad_signature,
    auth_expired,
    auth_alg_none,
    auth_missing_claim,
    auth_wrong_algorithm,
    staff_without_business,
)
