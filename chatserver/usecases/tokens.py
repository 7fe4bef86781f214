"""JWT verification with pyjwt. The accepted algorithm is fixed by configuration, never by the token."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt

from chatserver.config import MIN_JWT_SECRET_BYTES
from chatserver.domain.models import Principal, Role
from chatserver.protocol import ChatError, ErrorCode

REQUIRED_CLAIMS = ["sub", "role", "name", "exp"]
LEEWAY_S = 5  # clock difference allowed between the issuer and this server


def require_hmac_key(secret: str) -> str:
    """``secret``, or ``ValueError`` when it is empty or short: there is no fallback key, so a
    part built without a configured secret fails at once instead of signing with a known one."""
    if len(secret.encode()) < MIN_JWT_SECRET_BYTES:
        raise ValueError(f"an HS256 secret of {MIN_JWT_SECRET_BYTES} bytes or more is required")
    return secret


class TokenVerifier:
    """Turns a bearer token into a ``Principal`` or raises ``auth_invalid``."""

    def __init__(
        self,
        *,
        secret: str,
        public_key: str = "",
        audience: str = "",
        issuer: str = "",
        max_lifetime_s: int | None = None,
        required_version: Callable[[str], int] | None = None,
    ) -> None:
        if public_key:
            self._key: Any = public_key
            self._algorithms = ["RS256"]
        else:
            self._key = require_hmac_key(secret)
            self._algorithms = ["HS256"]
        self._audience = audience or None
        self._issuer = issuer or None
        self._max_lifetime_s = max_lifetime_s
        self._required_version = required_version  # TokenVersions.required: revoked staff tokens

    def verify(self, token: str) -> Principal:
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
                leeway=LEEWAY_S,
            )
        except jwt.ExpiredSignatureError:
            raise ChatError(ErrorCode.AUTH_INVALID, "token expired") from None
        except jwt.InvalidTokenError as exc:
            raise ChatError(ErrorCode.AUTH_INVALID, f"token rejected: {type(exc).__name__}") from None
        # exp is checked numeric by PyJWT; a far-off one would let a leaked token work for years
        if self._max_lifetime_s is not None and claims["exp"] > time.time() + self._max_lifetime_s + LEEWAY_S:
            raise ChatError(ErrorCode.AUTH_INVALID, "token expires too far ahead (JWT_MAX_LIFETIME)")
        principal = principal_from_claims(claims)
        if principal.role is Role.STAFF and self._required_version is not None:
            required = self._required_version(principal.user_id)
            if required and claims.get("ver") != required:
                raise ChatError(ErrorCode.AUTH_INVALID, "token revoked")
        return principal


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
    return jwt.encode(claims, require_hmac_key(secret), algorithm="HS256")
