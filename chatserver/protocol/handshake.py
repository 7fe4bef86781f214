"""The first frame of every connection: ``user:authenticated`` for a token, ``guest:registered``
for a guest (protocol.md §3). Both announce ``PROTOCOL_VERSION``."""

from __future__ import annotations

from typing import Any

from chatserver.domain.models import Principal
from chatserver.protocol.timestamps import iso_ms
from chatserver.protocol.version import PROTOCOL_VERSION


def user_authenticated(principal: Principal) -> dict[str, Any]:
    return {
        "userId": principal.user_id,
        "userType": principal.role.value,
        "businessId": principal.business_id,
        "name": principal.name,
        "protocol": PROTOCOL_VERSION,
    }


def guest_registered(guest_id: str, session_id: str, *, resumed: bool, expires_at: int) -> dict[str, Any]:
    """``session_id`` is the bearer secret the guest presents to resume; sent only here."""
    return {
        "guestId": guest_id,
        "sessionId": session_id,
        "resumed": resumed,
        "expiresAt": iso_ms(expires_at),
        "protocol": PROTOCOL_VERSION,
    }
