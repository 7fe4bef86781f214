"""JWT verification with pyjwt. The accepted algorithm is fixed by configuration, never by the token."""

from __future__ import annotations

import time
import warnings
from typing import Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning

from chatserver.domain.models import Principal, Role
from chatserver.protocol import ChatError, ErrorCode

REQUIRED_CLAIMS = ["sub", "role", "name", "exp"]
MIN_HMAC_KEY_BYTES = 32  # RFC 7518 section 3.2: an HS256 key at least as long as the hash


def key_length_warning(secret: str) -> str | None:
    """Why ``secret`` is too short for HS256, or ``None``. Said once, at start, by the server and
    the CLI; PyJWT's own warning on every signature and check is silenced instead."""
    size = len(secret.encode())
    if size >= MIN_HMAC_KEY_BYTES:
        return None
    return f"is {size} bytes long; HS256 wants at least {MIN_HMAC_KEY_BYTES} random bytes (RFC 7518 section 3.2)"


class TokenVerifier:
    """Turns a bearer token into a ``Principal`` or raises ``auth_invalid``."""

    def __init__(self, *, secret: str, public_key: str = "", audience: str = "", issuer: str = "") -> None:
        if public_key:
            self._key: Any = public_key
            self._algorithms = ["RS256"]
        else:
            self._key = secret
            self._algorithms = ["HS256"]
        self._short_key = not public_key and key_length_warning(secret) is not None
        self._audience = audience or None
        self._issuer = issuer or None

    def verify(self, token: str) -> Principal:
        if not self._short_key:
            return self._verify(token)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            return self._verify(token)

    def _verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                options={
                    "require": REQUIRED_CLAIMS + (["aud"] if self._audience else []) + (["iss"] if self._issuer else [])
                },
                leeway=5,
            )
        except jwt.ExpiredSignatureError:
            raise ChatError(ErrorCode.AUTH_INVALID, "token expired") from None
        except jwt.InvalidTokenError as exc:
            raise ChatError(ErrorCode.AUTH_INVALID, f"token rejected: {type(exc).__name__}") from None
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    sub, role, name, business = claims.get("sub"), claims.get("role"), claims.get("name"), claims.get("businessId")
    if not isinstance(sub, str) or not sub or len(sub) > 128:
        raise ChatError(ErrorCode.AUTH_INVALID, "claim 'sub' must be a non-empty string")
    if role not in (Role.CUSTOMER.value, Role.STAFF.value):
        raise ChatError(ErrorCode.AUTH_INVALID, "claim 'role' must be 'customer' or 'staff'")
    if not isinstance(name, str) or not name.strip():
        raise ChatError(ErrorCode.AUTH_INVALID, "claim 'name' must be a non-empty string")
    if role == Role.STAFF.value:
        if not isinstance(business, str) or not business:
            raise ChatError(ErrorCode.AUTH_INVALID, "staff tokens need a 'businessId' claim")
    else:
        business = None
    return Principal(role=Role(role), user_id=sub, name=name.strip()[:100], business_id=business)


def issue_token(
    secret: str,
    *,
    sub: str,
    role: str,
    name: str,
    business_id: str | None = None,
    ttl_s: int = 86_400,
    extra: dict[str, Any] | None = None,
) -> str:
    """HS256 token for development, the CLI and tests."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "role": role, "name": name, "iat": now, "exp": now + ttl_s}
    if business_id:
        claims["businessId"] = business_id
    claims.update(extra or {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)  # said once by key_length_warning
        return jwt.encode(claims, secret, algorithm="HS256")
