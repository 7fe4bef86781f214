"""Token verification: the algorithm comes from configuration, never from the token."""

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

from chatserver.domain.models import Role
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.tokens import TokenVerifier, issue_token


def claims() -> dict[str, object]:
    """Fresh each time: a module-level expiry would lapse when the suite runs longer than it."""
    return {"sub": "u1", "role": "staff", "businessId": "b1", "name": "Alice", "exp": int(time.time()) + 600}


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _hs256_by_hand(claims: dict, key: bytes) -> str:
    signing_input = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def test_hs256_round_trip():
    principal = TokenVerifier(secret="s" * 32).verify(issue_token("s" * 32, sub="u1", role="customer", name="Carol"))
    assert principal.role is Role.CUSTOMER and principal.business_id is None and principal.user_id == "u1"


def test_rs256_with_public_key(rsa_keys):
    private, public = rsa_keys
    verifier = TokenVerifier(secret="", public_key=public.decode())
    principal = verifier.verify(jwt.encode(claims(), private, algorithm="RS256"))
    assert principal.role is Role.STAFF and principal.business_id == "b1"


def test_hs256_token_signed_with_the_public_key_is_refused(rsa_keys):
    _, public = rsa_keys
    verifier = TokenVerifier(secret="", public_key=public.decode())
    forged = _hs256_by_hand(claims(), public)  # the classic algorithm-confusion forgery
    with pytest.raises(ChatError) as info:
        verifier.verify(forged)
    assert info.value.code is ErrorCode.AUTH_INVALID


def test_audience_and_issuer_are_enforced_when_configured():
    verifier = TokenVerifier(secret="s" * 32, audience="chat", issuer="https://id.example")
    good = jwt.encode({**claims(), "aud": "chat", "iss": "https://id.example"}, "s" * 32, algorithm="HS256")
    assert verifier.verify(good).user_id == "u1"
    for wrong in ({**claims(), "aud": "other", "iss": "https://id.example"}, {**claims(), "aud": "chat"}):
        with pytest.raises(ChatError):
            verifier.verify(jwt.encode(wrong, "s" * 32, algorithm="HS256"))


def test_a_token_expiring_beyond_the_max_lifetime_is_refused():
    verifier = TokenVerifier(secret="s" * 32, max_lifetime_s=3600)
    assert verifier.verify(jwt.encode({**claims(), "exp": int(time.time()) + 3500}, "s" * 32)).user_id == "u1"
    with pytest.raises(ChatError) as info:
        verifier.verify(jwt.encode({**claims(), "exp": int(time.time()) + 3700}, "s" * 32))
    assert info.value.code is ErrorCode.AUTH_INVALID and "JWT_MAX_LIFETIME" in info.value.message
