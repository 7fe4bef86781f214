"""Use cases: register guests, join rooms, send and read messages, list rooms for staff.

Every rule about who may do what lives here; transports only call these methods.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chatserver.config import Settings
from chatserver.domain.business import RoomFilter
from chatserver.domain.clock import Clock
from chatserver.domain.events import RoomCreated
from chatserver.domain.ids import hash_session_id, new_guest_id, new_session_id
from chatserver.domain.locales import normalize_locale
from chatserver.domain.models import (
    MAX_SEQ,
    GuestSession,
    Message,
    NewMessage,
    NewRoom,
    Principal,
    Role,
    Room,
    RoomStatus,
)
from chatserver.ports.ratelimit import RateLimiter
from chatserver.ports.store import (
    AppendResult,
    NoSuchBusiness,
    Prepared,
    RoomPage,
    RoomQuotaExceeded,
    Store,
    StoreError,
)
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.automation import Automation
from chatserver.usecases.background import Background
from chatserver.usecases.contacts import Contacts
from chatserver.usecases.dispatch import Dispatcher
from chatserver.usecases.posting import Poster
from chatserver.usecases.useragents import stored_user_agent, warm_up
from chatserver.usecases.workflow import normalize_email, normalize_phone

log = logging.getLogger("chatserver.chat")

MINUTE_MS = 60_000
GUEST_TOUCH_EVERY_MS = 60_000


@dataclass(frozen=True, slots=True)
class Registration:
    guest: GuestSession
    session_id: str  # the secret: returned to its guest once per connection, never stored
    resumed: bool


class ChatService:
    def __init__(
        self,
        *,
        store: Store,
        limiter: RateLimiter,
        settings: Settings,
        clock: Clock,
        poster: Poster,
        dispatcher: Dispatcher,
        contacts: Contacts,
        automation: Automation,
    ) -> None:
        self.store = store
        self.limiter = limiter
        self.settings = settings
        self.clock = clock
        self.poster = poster  # persist, then publish: also what automation posts through
        # business features: room notifications, conversions, automation (issue 4)
        self.dispatcher = dispatcher
        self.contacts = contacts
        self.automation = automation
        self._background = Background()
        if not settings.store_full_user_agent:
            warm_up()  # the user-agent parser, built in a thread before the first guest needs it

    # guests

    async def register_guest(self, session_id: str | None, user_agent: str, remote_ip: str = "") -> Registration:
        """Resume the guest behind ``session_id`` if it is known and not idle past the timeout;
        otherwise start a new guest with a new secret, at most
        ``GUEST_REGISTRATIONS_PER_IP_PER_MINUTE`` per address (``rate_limited`` beyond)."""
        now = self.clock()
        if session_id:
            timeout = self.settings.guest_session_timeout
            guest = await self.store.resume_guest(hash_session_id(session_id), now, timeout)
            if guest is not None:
                return Registration(guest, session_id, resumed=True)
        await self._limit_registrations(remote_ip)
        secret = new_session_id()
        agent = stored_user_agent(user_agent, full=self.settings.store_full_user_agent)
        guest = await self.store.create_guest(new_guest_id(now), hash_session_id(secret), agent, now)
        return Registration(guest, secret, resumed=False)

    async def _limit_registrations(self, remote_ip: str) -> None:
        limit = self.settings.guest_registrations_per_ip
        if not limit or not remote_ip:
            return
        decision = await self.limiter.hit(f"guest-reg:{remote_ip}", limit, MINUTE_MS)
        if not decision.allowed:
            raise ChatError(
                ErrorCode.RATE_LIMITED,
                f"at most {limit} new guest sessions a minute from one address",
                retry_after_ms=decision.retry_after_ms,
            )

    def touch_guest(self, principal: Principal, last_touch: int) -> int:
        """Record guest activity at most once a minute; returns the time of the last mark.

        The write runs behind the send, not in it: it is a best-effort activity mark (it only
        delays the session's expiry), and a wave of guests due at once (all who connected
        together) would otherwise queue on the database and hold their acknowledgements."""
        now = self.clock()
        if principal.is_guest and now - last_touch >= GUEST_TOUCH_EVERY_MS:
            self._background.spawn(self._touch(principal.user_id, now))
            return now
        return last_touch

    async def _touch(self, guest_id: str, now: int) -> None:
        try:
            await self.store.touch_guest(guest_id, now)
        except StoreError as exc:
            log.warning("guest activity not recorded: %s", exc)

    async def wait_background(self) -> None:
        """Until the activity marks under way are written (shutdown, tests)."""
        await self._background.wait()

    def session_expires_at(self, last_seen_at: int) -> int:
        return last_seen_at + self.settings.guest_session_timeout

    # rooms

    async def room_for(self, principal: Principal, room_id: str) -> Room:
        """The room, if ``principal`` may take part in it; ``not_found`` / ``forbidden`` otherwise."""
        room = await self.store.get_room(room_id)
        if room is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such room", field="roomId")
        if not may_access(principal, room):
            raise ChatError(ErrorCode.FORBIDDEN, "you are not a member of this room", field="roomId")
        return room

    async def open_room(
        self,
        principal: Principal,
        business_id: str,
        user_name: str | None,
        email: str | None,
        user_agent: str,
        phone: str | None = None,
        locale: str | None = None,
    ) -> Room:
        """The active room of this guest or customer with the business, created on first contact.
        ``email`` and ``phone`` are checked and normalized as ``chat:update-guest-info`` does: a
        value refused there is refused here, and the dashboard and webhooks see one form."""
        if principal.role is Role.STAFF:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "staff join rooms by roomId", field="roomId")
        clean_email = normalize_email(email) if email else None
        clean_phone = normalize_phone(phone) if phone else None
        clean_locale = normalize_locale(locale) if locale else None
        if locale and clean_locale is None:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "locale must be a language tag (fr, pt-BR)", field="locale")
        guest_id = principal.user_id if principal.is_guest else None
        user_id = None if principal.is_guest else principal.user_id
        name = (user_name or principal.name).strip()[:100] or principal.name
        new = NewRoom(
            business_id=business_id,
            room_name=f"Chat with {name}",
            user_type=principal.role.value,
            user_id=user_id,
            user_name=name,
            is_guest=principal.is_guest,
            guest_id=guest_id,
            user_agent=stored_user_agent(user_agent, full=self.settings.store_full_user_agent)
            if principal.is_guest
            else None,
            email=clean_email,
            tags=("anonymous",) if principal.is_guest else (),
            phone=clean_phone,
            locale=clean_locale,
        )
        # found or created in one transaction; the rooms-per-guest quota is checked inside it,
        # with the guest's row locked, so concurrent joins on different instances cannot exceed it
        quota = self.settings.guest_max_rooms_per_session if principal.is_guest else None
        try:
            opened = await self.store.open_room(new, self.clock(), max_guest_rooms=quota)
        except NoSuchBusiness:
            raise ChatError(ErrorCode.NOT_FOUND, "no such business", field="businessId") from None
        except RoomQuotaExceeded:
            raise ChatError(ErrorCode.LIMIT_REACHED, f"a guest session may open at most {quota} rooms") from None
        room = opened.room
        if opened.created:  # not one found, nor one a concurrent join created first
            if opened.had_rooms:  # a guest converted in an earlier room joins the same contact
                room = await self.contacts.link_returning_guest(room)
            await self.dispatcher.publish(RoomCreated(room))
        return room

    async def page(
        self,
        room_id: str,
        *,
        after_seq: int | None = None,
        before_seq: int | None = None,
        limit: int | None = None,
        last_seq: int | None = None,
    ) -> tuple[list[Message], bool]:
        """A page of history, oldest first, and whether more lies in the paging direction.
        ``last_seq``: the room's, when the caller just read it: a page that would start after it
        (an empty room, a client that has everything) is known empty without reading it."""
        if after_seq is not None and after_seq >= MAX_SEQ:
            return [], False  # nothing can lie after it
        if before_seq is not None and before_seq > MAX_SEQ:
            before_seq = None  # everything lies before it; the store's column could not hold it
        if last_seq is not None and before_seq is None and (after_seq if after_seq is not None else 0) >= last_seq:
            return [], False
        size = limit or self.settings.history_page
        messages = await self.store.list_messages(room_id, before_seq=before_seq, after_seq=after_seq, limit=size + 1)
        has_more = len(messages) > size
        if has_more:
            messages = messages[:size] if after_seq is not None else messages[1:]
        return messages, has_more

    async def list_rooms(
        self,
        principal: Principal,
        business_id: str,
        *,
        limit: int,
        cursor: str | None,
        filters: RoomFilter | None = None,
    ) -> RoomPage:
        require_staff_of(principal, business_id)
        try:
            return await self.store.list_rooms(business_id, limit=limit, cursor=cursor, filters=filters)
        except ValueError:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "cursor is not one this server issued", field="cursor") from None

    # messages

    async def send_message(
        self, principal: Principal, room_id: str, content: str, client_msg_id: str | None
    ) -> AppendResult:
        """Check, persist, then publish. A retried ``clientMsgId`` returns the stored message
        without storing or publishing it again.

        The room is not read beforehand: the access check, the visitor's current name and the
        reopen of a closed room happen on the room row inside the append's transaction
        (``prepare``), so a send is one transaction whatever the room's state."""
        text = content.strip()
        if not text:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "content must not be empty", field="content")
        if len(text) > self.settings.max_message_length:
            raise ChatError(
                ErrorCode.TOO_LARGE,
                f"content is longer than {self.settings.max_message_length} characters",
                field="content",
            )
        if principal.is_guest:
            decision = await self.limiter.hit(
                f"guest-msg:{principal.user_id}", self.settings.guest_message_rate_limit, MINUTE_MS
            )
            if not decision.allowed:
                raise ChatError(
                    ErrorCode.RATE_LIMITED,
                    f"at most {self.settings.guest_message_rate_limit} messages a minute",
                    retry_after_ms=decision.retry_after_ms,
                )
        new = NewMessage(
            room_id=room_id,
            sender_id=principal.user_id,
            sender_type=principal.sender_type,
            sender_name=principal.name,
            is_guest=principal.is_guest,
            content=text,
            client_msg_id=client_msg_id,
        )

        def prepare(room: Room | None) -> Prepared:
            if room is None:
                raise ChatError(ErrorCode.NOT_FOUND, "no such room", field="roomId")
            if not may_access(principal, room):
                raise ChatError(ErrorCode.FORBIDDEN, "you are not a member of this room", field="roomId")
            if principal.is_guest:  # a guest's only name is the one it gave when opening the room
                return Prepared(new.sent_as(room.user_name), reopen=room.status == RoomStatus.CLOSED)
            return Prepared(new, reopen=room.status == RoomStatus.CLOSED and principal.role is not Role.STAFF)

        result = await self.poster.append(new, prepare=prepare, actor=principal)
        if result.created and principal.role is not Role.STAFF and result.room is not None:
            await self._automate(principal, result.room, result.message, result.config_version)
        return result

    async def _automate(self, principal: Principal, room: Room, message: Message, config_version: int) -> None:
        """FAQ answers and auto-responses; the visitor's message is stored whatever happens here."""
        try:
            await self.automation.on_visitor_message(principal, room, message, config_version)
        except Exception:
            log.exception("automation failed for message %s", message.id)


def may_access(principal: Principal, room: Room) -> bool:
    if principal.role is Role.STAFF:
        return principal.business_id == room.business_id
    if principal.is_guest:
        return room.is_guest and room.guest_id == principal.user_id
    return not room.is_guest and room.user_id == principal.user_id


def require_staff_of(principal: Principal | None, business_id: str) -> None:
    if principal is None:
        raise ChatError(ErrorCode.AUTH_INVALID, "a staff bearer token is required")
    if principal.role is not Role.STAFF or principal.business_id != business_id:
        raise ChatError(ErrorCode.FORBIDDEN, "only staff of this business may do that")
