"""Authorization matrix: every REST route and every client event, tried as anonymous, guest,
customer, staff of the right business and staff of another business; each cell's outcome is
asserted. Authorization is backend-independent, so this runs on SQLite only."""

from __future__ import annotations

import pytest

from chatserver.domain.business import FaqFields
from chatserver.domain.clock import now_ms
from chatserver.protocol import events
from tests.conftest import make_token
from tests.rest import api

ROLES = ("anonymous", "guest", "customer", "staff", "other_staff")
STAFF_ONLY = {"anonymous": 401, "guest": 401, "customer": 403, "staff": 200, "other_staff": 403}
PUBLIC = dict.fromkeys(ROLES, 200)


def staff_only(success: int = 200) -> dict[str, int]:
    return {**STAFF_ONLY, "staff": success}


# (method, path template, body, expected status per role); DELETE last: it removes the FAQ
REST = [
    (
        "POST",
        "/api/auth/login",
        {"email": "nobody@example.com", "password": "wrong-password"},
        dict.fromkeys(ROLES, 401),
    ),
    ("GET", "/api/chat/rooms?businessId={business}", None, staff_only()),
    ("GET", "/api/chat/rooms/{room}", None, staff_only()),
    ("PATCH", "/api/chat/rooms/{room}", {"assignedTo": "staff-alice"}, staff_only()),
    ("GET", "/api/chat/rooms/{room}/messages", None, staff_only()),
    ("POST", "/api/chat/rooms/{room}/convert-guest", {"email": "g@example.com"}, staff_only()),
    ("GET", "/api/chat/analytics?businessId={business}", None, staff_only()),
    ("GET", "/api/businesses/{business}/faqs", None, staff_only()),
    ("POST", "/api/businesses/{business}/faqs", {"question": "Q?", "answer": "A"}, staff_only(201)),
    ("GET", "/api/businesses/{business}/faqs/{faq}", None, staff_only()),
    ("PATCH", "/api/businesses/{business}/faqs/{faq}", {"enabled": False}, staff_only()),
    ("GET", "/api/businesses/{business}/settings", None, staff_only()),
    ("PUT", "/api/businesses/{business}/settings", {"greeting": {"enabled": True}}, staff_only()),
    ("GET", "/api/openapi.json", None, PUBLIC),
    ("GET", "/healthz", None, PUBLIC),
    ("DELETE", "/api/businesses/{business}/faqs/{faq}", None, staff_only(204)),
]

OK, FORBIDDEN, INVALID = "ok", "forbidden", "invalid_payload"
ROOM_MEMBERS = {"anonymous": FORBIDDEN, "guest": OK, "customer": FORBIDDEN, "staff": OK, "other_staff": FORBIDDEN}
STAFF_OF_ROOM = {**dict.fromkeys(ROLES, FORBIDDEN), "staff": OK}
VISITORS = {"anonymous": OK, "guest": OK, "customer": OK, "staff": FORBIDDEN, "other_staff": FORBIDDEN}

# (event, payload, expected outcome per role) against the guest's room
WS = [
    (events.JOIN_ROOM, {"roomId": "{room}"}, ROOM_MEMBERS),
    (events.JOIN_ROOM, {"businessId": "{business}"}, {**VISITORS, "staff": INVALID, "other_staff": INVALID}),
    (events.HISTORY, {"roomId": "{room}"}, ROOM_MEMBERS),
    (events.SEND_MESSAGE, {"roomId": "{room}", "content": "hello"}, ROOM_MEMBERS),
    (events.TYPING, {"roomId": "{room}", "isTyping": True}, ROOM_MEMBERS),
    (events.READ, {"roomId": "{room}", "seq": 1}, ROOM_MEMBERS),
    (events.CLOSE_ROOM, {"roomId": "{room}"}, STAFF_OF_ROOM),
    # the closed room's own visitor only (issue 17: staff do not rate their own chats)
    (events.RATE, {"roomId": "{room}", "score": 4}, {**dict.fromkeys(ROLES, FORBIDDEN), "guest": OK}),
    (events.REOPEN_ROOM, {"roomId": "{room}"}, STAFF_OF_ROOM),
    (events.ASSIGN, {"roomId": "{room}", "staffId": "staff-alice"}, STAFF_OF_ROOM),
    (events.UPDATE_GUEST_INFO, {"userName": "New Name"}, VISITORS),
    # anyone: every visitor's widget shows whether the business's staff are online
    (events.PRESENCE, {"businessId": "{business}"}, dict.fromkeys(ROLES, OK)),
    # the room's own visitor only: staff have no page, another visitor no business in this room
    (
        events.PAGE_VIEW,
        {"roomId": "{room}", "url": "https://shop.example/"},
        {**dict.fromkeys(ROLES, FORBIDDEN), "guest": OK},
    ),
]


def fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_every_route_and_event_for_every_role(connect, runtime, base_url, business, other_business):
    guest = await connect()
    session_id = guest.frames[0]["data"]["sessionId"]
    room = (await guest.call("chat:join-room", {"businessId": business, "userName": "Owner"}))["room"]["_id"]
    faq = await runtime.store.create_faq(business, FaqFields("Hours?", "9-5", (), True), now_ms())
    ids = {"business": business, "room": room, "faq": faq.id}
    tokens = {
        "anonymous": None,
        "guest": None,
        "customer": make_token("customer", "Carol"),
        "staff": make_token("staff", "Alice", business),
        "other_staff": make_token("staff", "Olga", other_business),
    }
    cells = 0
    wrong = []
    for method, template, body, expected in REST:
        for role in ROLES:
            path = fill(template, ids)
            if role == "guest":  # a guest's sessionId is no REST credential
                path += ("&" if "?" in path else "?") + f"sessionId={session_id}"
            status, reply = await api(base_url, method, path, token=tokens[role], body=body)
            cells += 1
            if status != expected[role]:
                wrong.append(f"{method} {template} as {role}: {status} (expected {expected[role]}) {reply}")
            elif status >= 400 and reply["error"]["code"] not in ("auth_invalid", "forbidden"):
                wrong.append(f"{method} {template} as {role}: code {reply['error']['code']}")

    clients = {
        "anonymous": await connect(),
        "guest": await connect(sessionId=session_id),
        "customer": await connect(token=tokens["customer"]),
        "staff": await connect(token=tokens["staff"]),
        "other_staff": await connect(token=tokens["other_staff"]),
    }
    assert clients["guest"].frames[0]["data"]["resumed"] is True
    for event, payload, expected in WS:
        for role in ROLES:
            frame = await clients[role].request(event, fill(payload, ids))
            outcome = frame["error"]["code"] if "error" in frame else OK
            cells += 1
            if outcome != expected[role]:
                wrong.append(f"{event} as {role}: {outcome} (expected {expected[role]}) {frame}")
    assert wrong == []
    assert cells == len(ROLES) * (len(REST) + len(WS))
