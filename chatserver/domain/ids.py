"""Identifiers and secrets for guests."""

from __future__ import annotations

import hashlib
import secrets
import string

_BASE36 = string.digits + string.ascii_lowercase


def new_guest_id(now_ms: int) -> str:
    """``guest_<unix ms>_<8 random base36 chars>``, the seed's format."""
    # one draw from the system's generator, not eight (each one a read of /dev/urandom)
    number = secrets.randbelow(36**8)
    suffix = []
    for _ in range(8):
        number, digit = divmod(number, 36)
        suffix.append(_BASE36[digit])
    return f"guest_{now_ms}_{''.join(suffix)}"


def new_session_id() -> str:
    """256 random bits, URL-safe: a bearer secret only its guest ever sees."""
    return secrets.token_urlsafe(32)


def hash_session_id(session_id: str) -> str:
    """What the database keeps instead of the secret (sha256 hex; the secret has 256 bits of
    entropy, so a plain hash is enough, no salt or stretching)."""
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()


def redact(secret: str | None) -> str:
    """For log lines: enough to correlate, nothing to replay."""
    if not secret:
        return "-"
    return secret[:4] + "…"
