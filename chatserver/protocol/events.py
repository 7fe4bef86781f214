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
ROOM_CREATED: Final = "chat:room-created"  # staff of the business
ROOM_UPDATED: Final = "chat:room-updated"  # staff of the business
ROOM_STATUS: Final = "chat:room-status"  # members of the room
ROOM_DELETED: Final = "chat:room-deleted"  # staff of the business: the room was erased

# client -> server
JOIN_ROOM: Final = "chat:join-room"
SEND_MESSAGE: Final = "chat:send-message"
HISTORY: Final = "chat:history"
LEAVE_ROOM: Final = "chat:leave-room"
CLOSE_ROOM: Final = "chat:close-room"
REOPEN_ROOM: Final = "chat:reopen-room"
ASSIGN: Final = "chat:assign"
UPDATE_GUEST_INFO: Final = "chat:update-guest-info"
PAGE_VIEW: Final = "chat:page-view"  # the visitor's current page (issue 17)
RATE: Final = "chat:rate"  # the visitor rates a closed conversation (CSAT, issue 17)
PRESENCE: Final = "chat:presence"  # whether any staff of a business is online (the widget's status, issue 18)

# both directions: the client sends it, the room's members receive it
TYPING: Final = "chat:typing"
READ: Final = "chat:read"
