"""Token attacks over the wire (WebSocket and REST), cookie-only requests (CSRF) and origins.

Each forged or unacceptable token gets ``auth_invalid`` and close 4401 (WebSocket) or 401
(REST), never a silent downgrade to a guest; a valid token never reaches beyond its role and
business. tests/usecases/test_tokens.py checks the verifier alone; this checks the wiring.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from chatserver import PROTOCOL_VERSION
from tests.conftest import SECRET, make_token
from tests.helpers import WsClient
from tests.rest import api

NOW = int(time.time())
LATER = NOW + 6 * 3600  # module-level: valid however long the suite runs before these tests


def _signed(claims: dict, key: str | bytes = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _tampered(token: str, **changes: object) -> str:
    """Same header and signature, edited claims: what a customer would try to become staff."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


async def _refused(connect, token: str) -> None:
    client = await connect(token=token, first=False)
    frame = await client.next()
    assert frame["event"] == "error" and frame["data"]["code"] == "auth_invalid", frame
    assert await client.wait_closed() == 4401
    assert not client.events("guest:registered") and not client.events("user:authenticated")


BASE = {"sub": "u1", "name": "Mallory", "exp": LATER}
ATTACKS = {
    "nbf-in-the-future": {**BASE, "role": "customer", "nbf": NOW + 6 * 3600},
    "iat-in-the-future": {**BASE, "role": "customer", "iat": NOW + 6 * 3600},
    "expired-beyond-leeway": {**BASE, "role": "customer", "exp": NOW - 60},
    "no-exp": {"sub": "u1", "name": "M", "role": "customer"},
    "no-sub": {"name": "M", "role": "customer", "exp": LATER},
    "empty-sub": {**BASE, "sub": "", "role": "customer"},
    "no-role": dict(BASE),
    "role-admin": {**BASE, "role": "admin"},
    "staff-without-business": {**BASE, "role": "staff"},
    "staff-with-empty-business": {**BASE, "role": "staff", "businessId": ""},
    "sub-too-long": {**BASE, "sub": "u" * 129, "role": "customer"},
    "exp-beyond-max-lifetime": {**BASE, "role": "customer", "exp": NOW + 31 * 86_400},  # JWT_MAX_LIFETIME: 30 days
    "exp-in-the-year-2100": {**BASE, "role": "customer", "exp": 4_102_444_800},
}


@pytest.mark.parametrize("claims", ATTACKS.values(), ids=ATTACKS.keys())
async def test_unacceptable_claims_are_refused_over_websocket(connect, claims):
    await _refused(connect, _signed(claims))


async def test_customer_token_edited_to_staff_is_refused(connect, business):
    token = make_token("customer", "Carol")
    await _refused(connect, _tampered(token, role="staff", businessId=business))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the forgery's key, not ours
async def test_alg_none_and_header_tricks_are_refused(connect, business):
    claims = {**BASE, "role": "staff", "businessId": business}
    unsigned = jwt.encode(claims, None, algorithm="none")
    await _refused(connect, unsigned)
    await _refused(connect, unsigned + "AAAA")  # a signature glued onto alg:none
    header = _b64(json.dumps({"alg": "HS512", "typ": "JWT"}).encode())
    hs512 = _signed(claims, SECRET, "HS512")  # right secret, algorithm not on the allow-list
    await _refused(connect, hs512)
    await _refused(connect, f"{header}.{hs512.split('.')[1]}.{hs512.split('.')[2]}")


async def test_a_customer_token_with_a_business_claim_gets_no_staff_rights(connect, base_url, business):
    guest = await connect()
    room_id = (await guest.call("chat:join-room", {"businessId": business, "userName": "V"}))["room"]["_id"]
    token = make_token("customer", "Eve", businessId=business)  # valid signature, customer role
    eve = await connect(token=token)
    assert eve.frames[0]["data"] == {
        "userId": "customer-eve",
        "userType": "customer",
        "businessId": None,
        "name": "Eve",
        "protocol": PROTOCOL_VERSION,
    }
    for event, data in [
        ("chat:join-room", {"roomId": room_id}),
        ("chat:history", {"roomId": room_id}),
        ("chat:send-message", {"roomId": room_id, "content": "let me in"}),
    ]:
        assert (await eve.request(event, data))["error"]["code"] == "forbidden"
    status, body = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", token)
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, _ = await api(base_url, "GET", f"/api/chat/rooms/{room_id}/messages", token)
    assert status == 403


async def test_staff_of_another_business_reach_nothing_over_websocket_and_rest(
    connect, base_url, business, other_business
):
    guest = await connect()
    room_id = (await guest.call("chat:join-room", {"businessId": business, "userName": "V"}))["room"]["_id"]
    await guest.call("chat:send-message", {"roomId": room_id, "content": "private"})
    outsider_token = make_token("staff", "Oscar", other_business)
    outsider = await connect(token=outsider_token)
    for event, data in [
        ("chat:join-room", {"roomId": room_id}),
        ("chat:history", {"roomId": room_id}),
        ("chat:send-message", {"roomId": room_id, "content": "hi from Globex"}),
        ("chat:join-room", {"businessId": business}),
    ]:
        reply = await outsider.request(event, data)
        assert reply["error"]["code"] in ("forbidden", "invalid_payload"), (event, reply)
    status, _ = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", outsider_token)
    assert status == 403
    status, body = await api(base_url, "GET", f"/api/chat/rooms/{room_id}/messages", outsider_token)
    assert status == 403 and "private" not in json.dumps(body)
    assert not outsider.events("chat:new-message")


@pytest.mark.parametrize("overrides", [{"jwt_audience": "chat", "jwt_issuer": "https://id.example"}])
async def test_audience_and_issuer_are_enforced_over_the_wire(connect, base_url, business, overrides):
    good = {**BASE, "role": "staff", "businessId": business, "aud": "chat", "iss": "https://id.example"}
    client = await connect(token=_signed(good))
    assert client.frames[0]["event"] == "user:authenticated"
    for bad in (
        {**good, "aud": "another-app"},
        {**good, "iss": "https://evil.example"},
        {k: v for k, v in good.items() if k != "aud"},
        {k: v for k, v in good.items() if k != "iss"},
    ):
        await _refused(connect, _signed(bad))
        status, body = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", _signed(bad))
        assert status == 401 and body["error"]["code"] == "auth_invalid"


def _rsa_keys() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public.decode()


PRIVATE, PUBLIC = _rsa_keys()


@pytest.mark.parametrize("overrides", [{"jwt_public_key": PUBLIC}])
async def test_rs256_server_refuses_hs256_signed_with_its_public_key(connect, base_url, business, overrides):
    claims = {**BASE, "role": "staff", "businessId": business}
    client = await connect(token=_signed(claims, PRIVATE, "RS256"))
    assert client.frames[0]["event"] == "user:authenticated"
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    signature = hmac.new(PUBLIC.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{body}.{_b64(signature)}"
    await _refused(connect, forged)
    await _refused(connect, _signed(claims, SECRET))  # the HS256 secret no longer counts either
    status, _ = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", forged)
    assert status == 401


# CSRF: nothing ambient authenticates


async def test_cookies_alone_grant_nothing(connect, base_url, business, staff_token):
    cookie = {"Cookie": f"token={staff_token}; access_token={staff_token}; Authorization=Bearer%20{staff_token}"}
    status, body = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}", headers=cookie)
    assert status == 401 and body["error"]["code"] == "auth_invalid"
    status, _ = await api(base_url, "GET", f"/api/chat/rooms?businessId={business}&token={staff_token}")
    assert status == 401  # nor a token in the query string (it would end up in logs and referrers)
    client = await connect(headers=cookie)
    assert client.frames[0]["event"] == "guest:registered"  # a cookie does not make a WebSocket staff


async def test_rest_sends_no_cors_grant(base_url, business, staff_token):
    response = await AsyncHTTPClient().fetch(
        f"{base_url}/api/chat/rooms?businessId={business}",
        headers={"Authorization": f"Bearer {staff_token}", "Origin": "https://evil.example"},
    )
    assert response.code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


# origins


@pytest.mark.parametrize("overrides", [{"allowed_origins": ("https://shop.example", "http://localhost:8080")}])
@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://shop.example", True),
        ("HTTPS://SHOP.EXAMPLE", True),
        ("https://shop.example/", True),
        ("http://localhost:8080", True),
        ("https://shop.example.evil.example", False),
        ("https://evil.example", False),
        ("http://shop.example", False),
        ("http://localhost:8081", False),
        ("null", False),
        (None, True),  # no Origin: not a browser, nothing ambient to abuse
    ],
)
async def test_origin_allow_list(ws_url, origin, allowed, overrides):
    headers = {} if origin is None else {"Origin": origin}
    if allowed:
        client = await WsClient.connect(ws_url, headers=headers)
        assert (await client.next())["event"] == "guest:registered"
        client.close()
    else:
        with pytest.raises(HTTPClientError) as info:
            await WsClient.connect(ws_url, headers=headers)
        assert info.value.code == 403


async def test_a_token_living_longer_than_jwt_max_lifetime_opens_no_rest_either(connect, base_url, business):
    claims = {**BASE, "role": "staff", "businessId": business}
    status, body = await api(
        base_url, "GET", f"/api/chat/rooms?businessId={business}", _signed({**claims, "exp": NOW + 40 * 86_400})
    )
    assert status == 401 and "JWT_MAX_LIFETIME" in body["error"]["message"]
    status, _ = await api(
        base_url, "GET", f"/api/chat/rooms?businessId={business}", _signed({**claims, "exp": NOW + 29 * 86_400})
    )
    assert status == 200  # within the bound
