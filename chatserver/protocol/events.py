"""Event names. Client-to-server names are requests; server-to-client names are pushes."""

from __future__ import annotations

from typing import Final

# server -> client
ACK: Final = "ack"
ERROR: Final = "error"
GUEST_REGISTERED: Final = "guest:registered"
USER_AUTHENTICATED: Final = "user:authenticated"
NEW_MESSAGE: Final = "chat:new-message"
FAQ_RESPONSE: Final = "chat:faq-response"

# client -> server
JOIN_ROOM: Final = "chat:join-room"
SEND_MESSAGE: Final = "chat:send-message"
HISTORY: Final = "chat:history"
