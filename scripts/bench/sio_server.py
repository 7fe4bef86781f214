"""The reference: the product brief's chat on python-socketio 5.x (aiohttp mode), state in memory.

What a team would write first with python-socketio: the brief's event names on namespace
``/realtime``, guests registered on connect, staff authenticated by an HS256 JWT in the
Socket.IO ``auth`` object, rooms and messages in dictionaries (the last ``KEEP`` messages per
room), ``clientMsgId`` deduplication, acks through Socket.IO callbacks, fan-out with
``emit(room=...)``. With ``--redis-url`` it uses ``AsyncRedisManager`` to run several
instances; room state is not shared between instances then, so a staff member may join a room
its instance has never seen (the reference trusts the room id — less work than chatserver does).

    python -m scripts.bench.sio_server --port 8001 --jwt-secret S [--redis-url redis://...]
"""

from __future__ import annotations

import argparse
import collections
import secrets
import string
import time
from datetime import UTC, datetime
from typing import Any

import jwt
import socketio
from aiohttp import web

NAMESPACE = "/realtime"
KEEP = 200  # messages kept per room
PAGE = 50
MAX_CONTENT = 2000
SESSION_TIMEOUT_MS = 7_200_000
BASE36 = string.digits + string.ascii_lowercase


def now_ms() -> int:
    return int(time.time() * 1000)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class ReferenceChat:
    """Handlers and in-memory state of one instance."""

    def __init__(self, sio: socketio.AsyncServer, secret: str, *, trust_room_ids: bool) -> None:
        self.sio = sio
        self.secret = secret
        self.trust_room_ids = trust_room_ids
        self.principals: dict[str, dict[str, Any]] = {}
        self.guests: dict[str, str] = {}  # sessionId -> guestId
        self.rooms: dict[str, dict[str, Any]] = {}
        self.history: dict[str, collections.deque[dict[str, Any]]] = {}
        self.open_rooms: dict[tuple[str, str], str] = {}
        self.by_client_id: dict[tuple[str, str, str], dict[str, Any]] = {}
        sio.on("connect", self.connect, namespace=NAMESPACE)
        sio.on("disconnect", self.disconnect, namespace=NAMESPACE)
        sio.on("chat:join-room", self.join_room, namespace=NAMESPACE)
        sio.on("chat:send-message", self.send_message, namespace=NAMESPACE)

    async def connect(self, sid: str, environ: dict[str, Any], auth: dict[str, Any] | None) -> bool:
        token = (auth or {}).get("token")
        if token:
            try:
                claims = jwt.decode(token, self.secret, algorithms=["HS256"])
            except jwt.PyJWTError as exc:
                raise socketio.exceptions.ConnectionRefusedError("auth_invalid") from exc
            principal = {
                "role": claims["role"],
                "userId": claims["sub"],
                "name": claims["name"],
                "businessId": claims.get("businessId"),
            }
            self.principals[sid] = principal
            await self.sio.emit(
                "user:authenticated",
                {**{k: principal[k] for k in ("userId", "name", "businessId")}, "userType": principal["role"]},
                to=sid,
                namespace=NAMESPACE,
            )
            return True
        session_id = (auth or {}).get("sessionId")
        guest_id = self.guests.get(session_id) if session_id else None
        resumed = guest_id is not None
        if guest_id is None:
            now = now_ms()
            guest_id = f"guest_{now}_" + "".join(secrets.choice(BASE36) for _ in range(8))
            session_id = secrets.token_urlsafe(32)
            self.guests[session_id] = guest_id
        self.principals[sid] = {"role": "guest", "userId": guest_id, "name": "Guest", "businessId": None}
        await self.sio.emit(
            "guest:registered",
            {
                "guestId": guest_id,
                "sessionId": session_id,
                "resumed": resumed,
                "expiresAt": iso(now_ms() + SESSION_TIMEOUT_MS),
            },
            to=sid,
            namespace=NAMESPACE,
        )
        return True

    async def disconnect(self, sid: str, *args: Any) -> None:
        self.principals.pop(sid, None)

    def _may_access(self, principal: dict[str, Any], room: dict[str, Any]) -> bool:
        if principal["role"] == "staff":
            return bool(principal["businessId"] == room["businessId"])
        return bool(room["ownerId"] == principal["userId"])

    async def join_room(self, sid: str, data: Any) -> dict[str, Any]:
        principal = self.principals.get(sid)
        if principal is None or not isinstance(data, dict):
            return error("invalid_payload", "bad request")
        room_id = data.get("roomId")
        if isinstance(room_id, str):
            room = self.rooms.get(room_id)
            if room is None and self.trust_room_ids and principal["role"] == "staff":
                room = self._new_room(room_id, principal["businessId"], "?", "?", "guest")
            if room is None:
                return error("not_found", "no such room")
            if not self._may_access(principal, room):
                return error("forbidden", "you are not a member of this room")
        elif isinstance(data.get("businessId"), str) and principal["role"] != "staff":
            key = (data["businessId"], principal["userId"])
            room_id = self.open_rooms.get(key)
            if room_id is None:
                room_id = secrets.token_hex(12)
                name = str(data.get("userName") or principal["name"])[:100]
                self._new_room(room_id, data["businessId"], principal["userId"], name, principal["role"])
                self.open_rooms[key] = room_id
            room = self.rooms[room_id]
        else:
            return error("invalid_payload", "roomId or businessId is required")
        await self.sio.enter_room(sid, room["_id"], namespace=NAMESPACE)
        history = self.history[room["_id"]]
        return {"room": room, "messages": list(history)[-PAGE:], "hasMore": len(history) > PAGE}

    def _new_room(self, room_id: str, business_id: str, owner_id: str, name: str, user_type: str) -> dict[str, Any]:
        room = {
            "_id": room_id,
            "businessId": business_id,
            "ownerId": owner_id,
            "roomName": f"Chat with {name}",
            "metadata": {"userType": user_type, "userName": name, "isGuest": user_type == "guest"},
            "tags": ["anonymous"] if user_type == "guest" else [],
            "isActive": True,
            "lastMessage": None,
            "lastMessageAt": None,
            "lastSeq": 0,
            "createdAt": iso(now_ms()),
        }
        self.rooms[room_id] = room
        self.history[room_id] = collections.deque(maxlen=KEEP)
        return room

    async def send_message(self, sid: str, data: Any) -> dict[str, Any]:
        principal = self.principals.get(sid)
        if principal is None or not isinstance(data, dict):
            return error("invalid_payload", "bad request")
        room_id, content, client_msg_id = data.get("roomId"), data.get("content"), data.get("clientMsgId")
        if not isinstance(room_id, str) or not isinstance(content, str):
            return error("invalid_payload", "roomId and content are required")
        text = content.strip()
        if not text:
            return error("invalid_payload", "content must not be empty")
        if len(text) > MAX_CONTENT:
            return error("too_large", f"content is longer than {MAX_CONTENT} characters")
        room = self.rooms.get(room_id)
        if room is None:
            return error("not_found", "no such room")
        if not self._may_access(principal, room):
            return error("forbidden", "you are not a member of this room")
        key = (room_id, principal["userId"], client_msg_id) if isinstance(client_msg_id, str) else None
        if key is not None and key in self.by_client_id:
            return {**self.by_client_id[key], "duplicate": True}
        now = now_ms()
        room["lastSeq"] += 1
        message = {
            "_id": secrets.token_hex(12),
            "roomId": room_id,
            "seq": room["lastSeq"],
            "senderId": principal["userId"],
            "senderType": principal["role"],
            "senderName": principal["name"],
            "isGuest": principal["role"] == "guest",
            "content": text,
            "createdAt": iso(now),
            "clientMsgId": client_msg_id,
        }
        room["lastMessage"], room["lastMessageAt"] = text[:200], message["createdAt"]
        self.history[room_id].append(message)
        if key is not None:
            self.by_client_id[key] = message
            if len(self.by_client_id) > KEEP * max(1, len(self.rooms)):
                del self.by_client_id[next(iter(self.by_client_id))]
        await self.sio.emit("chat:new-message", message, room=room_id, namespace=NAMESPACE)
        return {**message, "duplicate": False}


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--jwt-secret", required=True)
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--redis-channel", default="socketio")
    args = parser.parse_args()
    manager = socketio.AsyncRedisManager(args.redis_url, channel=args.redis_channel) if args.redis_url else None
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins="*",
        logger=False,
        engineio_logger=False,
    )
    app = web.Application()
    sio.attach(app)
    app.router.add_get("/healthz", healthz)
    ReferenceChat(sio, args.jwt_secret, trust_room_ids=bool(args.redis_url))
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
