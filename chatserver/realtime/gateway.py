"""The realtime protocol, transport-free: handshake, dispatch table, acks and error frames.

The WebSocket handler feeds it frames and gives it a ``Connection`` to write to; everything a
client can ask for is answered here by calling ``ChatService``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from chatserver.domain.models import Principal, Role
from chatserver.fanout.hub import Connection, Hub
from chatserver.ports.presence import Presence
from chatserver.ports.store import StoreError
from chatserver.protocol import ChatError, CloseCode, ErrorCode, FrameError, decode_frame, encode_frame, events, wire
from chatserver.protocol.envelope import ack_error_frame, ack_frame, error_frame
from chatserver.protocol.handshake import guest_registered, user_authenticated
from chatserver.protocol.schemas import validate_payload
from chatserver.realtime.limits import FrameThrottle, Unlimited, Verdict, frame_throttle
from chatserver.realtime.workflow_events import WorkflowEvents
from chatserver.usecases.background import Background
from chatserver.usecases.conversations import ChatService
from chatserver.usecases.tokens import TokenVerifier

log = logging.getLogger("chatserver.gateway")


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a client presented when connecting. Secrets: never log these."""

    session_id: str | None = None
    token: str | None = None
    user_agent: str = ""
    remote_ip: str = ""


class ClientConnection(Connection, Protocol):
    """A connection the gateway may also close (abuse limits)."""

    def close(self, code: int | None = None, reason: str | None = None) -> None: ...

    def reply(self, frame: str) -> None:
        """Queue the answer (ack or error) to the request being handled: answers leave in the
        order the requests arrived, even when the transport handles several at once."""
        ...


@dataclass(eq=False, slots=True)
class Client:
    """Per-connection protocol state; slots, as there is one for each of thousands of connections."""

    conn: ClientConnection
    principal: Principal
    credentials: Credentials
    last_touch: int = 0
    rooms: set[str] = field(default_factory=set)
    typing_at: dict[str, int] = field(default_factory=dict)  # room -> last relayed isTyping:true
    page_view_at: int | None = None  # the last accepted chat:page-view (its throttle)
    throttle: FrameThrottle | Unlimited = field(default_factory=Unlimited)


Handler = Callable[[Client, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class GatewayLimits:
    """What the gateway reads from settings: ``MAX_FRAMES_PER_SECOND`` and ``FRAME_BURST``
    (per-connection frame rate; rate 0: no limit), ``MAX_ROOMS_PER_CONNECTION`` (0: no limit)."""

    max_frames_per_second: int
    frame_burst: int
    max_rooms_per_connection: int


class Gateway:
    def __init__(
        self,
        *,
        service: ChatService,
        hub: Hub,
        presence: Presence,
        verifier: TokenVerifier,
        workflow: WorkflowEvents,
        limits: GatewayLimits,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.service = service
        self.hub = hub
        self.presence = presence
        self.verifier = verifier
        self.workflow = workflow
        self.limits = limits
        self._on_error = on_error
        self._closing = Background()
        self.draining = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.handlers: dict[str, Handler] = {
            events.JOIN_ROOM: self.join_room,
            events.SEND_MESSAGE: self.send_message,
            events.HISTORY: self.history,
            events.LEAVE_ROOM: self.leave_room,
            # staff workflow (issue 4)
            events.TYPING: workflow.typing,
            events.READ: workflow.read,
            events.CLOSE_ROOM: workflow.close_room,
            events.REOPEN_ROOM: workflow.reopen_room,
            events.ASSIGN: workflow.assign,
            events.UPDATE_GUEST_INFO: workflow.update_guest_info,
            events.PAGE_VIEW: workflow.page_view,  # issue 17
            events.RATE: workflow.rate,  # issue 17 (CSAT)
            events.PRESENCE: self.staff_presence,  # issue 18
        }

    # connection lifecycle

    def authenticate(self, credentials: Credentials) -> Principal | None:
        """The token's principal, ``None`` for a guest; raises ``auth_invalid`` for a bad token."""
        if credentials.token is None:
            return None
        return self.verifier.verify(credentials.token)

    async def open(self, conn: ClientConnection, credentials: Credentials) -> Client:
        """Send the first frame and return the client state. Raises ChatError(auth_invalid)
        for a bad token: the transport sends it as an error frame and closes with 4401."""
        principal = self.authenticate(credentials)
        if principal is not None:
            conn.send_text(encode_frame(events.USER_AUTHENTICATED, user_authenticated(principal)))
            client = Client(conn, principal, credentials, throttle=self._throttle())
            if principal.role is Role.STAFF and principal.business_id:
                await self.hub.follow_business(conn, principal.business_id)
                await self.presence.connected(principal.business_id, principal.user_id)
            return client
        registration = await self.service.register_guest(
            credentials.session_id, credentials.user_agent, credentials.remote_ip
        )
        guest = registration.guest
        principal = Principal(role=Role.GUEST, user_id=guest.guest_id, name="Guest")
        registered = guest_registered(
            guest.guest_id,
            registration.session_id,
            resumed=registration.resumed,
            expires_at=self.service.session_expires_at(guest.last_seen_at),
        )
        conn.send_text(encode_frame(events.GUEST_REGISTERED, registered))
        return Client(conn, principal, credentials, last_touch=guest.last_seen_at, throttle=self._throttle())

    def _throttle(self) -> FrameThrottle | Unlimited:
        return frame_throttle(self.limits.max_frames_per_second, self.limits.frame_burst)

    async def close(self, client: Client) -> None:
        principal = client.principal
        try:
            await self.hub.leave_all(client.conn)
        finally:
            if principal.role is Role.STAFF and principal.business_id:
                await self.presence.disconnected(principal.business_id, principal.user_id)

    def close_soon(self, client: Client) -> None:
        """For transports whose close hook cannot await; the task is kept until it is done."""
        self._closing.spawn(self.close(client))

    async def wait_closed(self) -> None:
        """Until every ``close_soon`` has finished (shutdown waits for presence and unsubscribes)."""
        await self._closing.wait()

    async def drain(self, within_s: float) -> bool:
        """Refuse new frames (``unavailable``) and wait up to ``within_s`` seconds for those being
        answered, so every send in flight is stored and acknowledged before sockets close.
        Returns False when the wait timed out."""
        self.draining = True
        try:
            await asyncio.wait_for(self._idle.wait(), within_s)
        except TimeoutError:
            return False
        return True

    # frames

    async def receive(self, client: Client, frame: str | bytes) -> None:
        """Answer one frame. Never raises: every failure becomes an ack error or error frame."""
        self._in_flight += 1
        self._idle.clear()
        try:
            await self._receive(client, frame)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _receive(self, client: Client, frame: str | bytes) -> None:
        verdict = client.throttle.admit()
        if not verdict.allowed:
            self._refuse(client, frame, verdict)
            return
        ack: int | None = None
        event: str | None = None
        try:
            envelope = decode_frame(frame)
            ack, event = envelope.ack, envelope.event
            if self.draining:
                raise ChatError(ErrorCode.UNAVAILABLE, "the server is shutting down; reconnect and retry")
            handler = self.handlers.get(event)
            if handler is None:
                raise ChatError(ErrorCode.UNKNOWN_EVENT, f"unknown event {event!r}", field="event")
            validate_payload(event, envelope.data)
            result = await handler(client, envelope.data)
        except FrameError as err:
            self._fail(client, err, err.ack, err.event)
            return
        except ChatError as err:
            self._fail(client, err, ack, event)
            return
        except StoreError as exc:
            log.warning("event %s: store unavailable: %s", event, exc)
            self._fail(client, ChatError(ErrorCode.UNAVAILABLE, "storage is unavailable; retry later"), ack, event)
            return
        except Exception:
            log.exception("event %s failed", event)
            self._fail(client, ChatError(ErrorCode.INTERNAL, "internal error"), ack, event)
            return
        if ack is not None:
            client.conn.reply(ack_frame(ack, result))

    def _refuse(self, client: Client, frame: str | bytes, verdict: Verdict) -> None:
        """A frame over the connection's rate: not processed; answered, or the flooder closed."""
        ack: int | None
        event: str | None
        try:
            envelope = decode_frame(frame)
            ack, event = envelope.ack, envelope.event
        except FrameError as bad:
            ack, event = bad.ack, bad.event
        rate = self.limits.max_frames_per_second
        refusal = ChatError(
            ErrorCode.RATE_LIMITED, f"too many frames: at most {rate} a second", retry_after_ms=verdict.retry_after_ms
        )
        self._fail(client, refusal, ack, event)
        if verdict.close:
            log.info("closing a connection that kept sending over its frame rate")
            client.conn.close(CloseCode.POLICY, "too many frames")

    def _fail(self, client: Client, err: ChatError, ack: int | None, event: str | None) -> None:
        if self._on_error is not None:
            self._on_error(err.code.value)
        if ack is not None:
            client.conn.reply(ack_error_frame(ack, err))
        else:
            client.conn.reply(error_frame(err, event))

    # events

    async def join_room(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        room_id, business_id = data.get("roomId"), data.get("businessId")
        if room_id is not None:
            room = await self.service.room_for(client.principal, room_id)
        elif business_id is not None:
            room = await self.service.open_room(
                client.principal,
                business_id,
                data.get("userName"),
                data.get("email"),
                client.credentials.user_agent,
                phone=data.get("phone"),
                locale=data.get("locale"),
            )
        else:
            field_name = "roomId" if client.principal.role is Role.STAFF else "businessId"
            raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{field_name} is required", field=field_name)
        self._check_room_quota(client, room.id)
        await self.hub.join(client.conn, room.id, last_seq=room.last_seq)
        client.rooms.add(room.id)
        after_seq = data.get("afterSeq")
        messages, has_more = await self.service.page(
            room.id, after_seq=after_seq, limit=data.get("limit"), last_seq=room.last_seq
        )
        # what the reply carries is what the client has: live delivery continues after it
        upto = messages[-1].seq if messages else (after_seq if after_seq is not None else 0)
        if after_seq is None and not has_more:
            upto = max(upto, room.last_seq)
        self.hub.ready(client.conn, room.id, upto)
        return wire.joined(room, messages, has_more)

    async def send_message(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        room_id = data["roomId"]
        if not self.hub.is_member(client.conn, room_id):
            # sending implies following: the sender's other messages must reach it too
            room = await self.service.room_for(client.principal, room_id)
            self._check_room_quota(client, room.id)
            await self.hub.join(client.conn, room.id, last_seq=room.last_seq)
            client.rooms.add(room.id)
            self.hub.ready(client.conn, room.id, room.last_seq)
        # a member's send reads the room inside the append (access, name, reopen): one transaction
        result = await self.service.send_message(client.principal, room_id, data["content"], data.get("clientMsgId"))
        # the message is stored: the activity mark is written behind the ack and cannot fail it
        client.last_touch = self.service.touch_guest(client.principal, client.last_touch)
        return wire.sent(result.message, created=result.created)

    async def leave_room(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        """Stop following a room on this connection only (membership and history are untouched),
        which also frees its place under ``MAX_ROOMS_PER_CONNECTION``. Leaving a room the
        connection does not follow is no error (``left: false``), so it tells nothing about rooms
        the caller may not see."""
        room_id = data["roomId"]
        left = room_id in client.rooms
        client.rooms.discard(room_id)
        client.typing_at.pop(room_id, None)
        await self.hub.leave(client.conn, room_id)
        return wire.left(room_id, left)

    async def staff_presence(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        """Whether any staff member of the business is connected, on any instance: what a widget
        shows as "Online" (or its away text). Anyone may ask: the widget of any visitor shows it."""
        business_id = data["businessId"]
        return {"businessId": business_id, "staffOnline": await self.presence.staff_online(business_id)}

    def _check_room_quota(self, client: Client, room_id: str) -> None:
        limit = self.limits.max_rooms_per_connection
        if limit and room_id not in client.rooms and len(client.rooms) >= limit:
            raise ChatError(ErrorCode.LIMIT_REACHED, f"a connection may follow at most {limit} rooms")

    async def history(self, client: Client, data: dict[str, Any]) -> dict[str, Any]:
        room = await self.service.room_for(client.principal, data["roomId"])
        after_seq, before_seq = data.get("afterSeq"), data.get("beforeSeq")
        messages, has_more = await self.service.page(
            room.id, after_seq=after_seq, before_seq=before_seq, limit=data.get("limit")
        )
        if self.hub.is_member(client.conn, room.id) and messages:
            self.hub.ready(client.conn, room.id, messages[-1].seq)
        return wire.message_page(room.id, messages, has_more)
