"""The JSON form of the domain's objects and of the payloads that carry them (protocol.md §4, §5, §10).

One function per object, each the only place its field names are written: the WebSocket
gateway, the REST handlers, the CLI, the broker codec and the webhook payloads all encode here,
so a room or a message reads the same on every path. The domain's value objects
(``chat.models``, ``chat.bizmodels``) are plain data and know nothing of this.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from chatserver.domain.business import (
    DAY_MS,
    DAYS,
    Analytics,
    AutoResponse,
    BusinessSettings,
    Contact,
    DayCounts,
    Faq,
    StaffAccount,
)
from chatserver.domain.canned import CannedResponse
from chatserver.domain.models import Message, Principal, Room
from chatserver.domain.pages import PageView
from chatserver.domain.ratings import SCORES, Csat, current_rating
from chatserver.protocol.timestamps import iso_ms

SENDER_TYPES = ("guest", "customer", "staff", "system")  # the keys of ``messagesBySenderType``

# conversations (§5)


def room_metadata(room: Room) -> dict[str, Any]:
    """The seed's ChatRoom metadata, minus ``guestInfo.sessionId`` (a bearer secret)."""
    meta: dict[str, Any] = {
        "userType": room.user_type,
        "userId": room.user_id,
        "userName": room.user_name,
        "isGuest": room.is_guest,
    }
    if room.is_guest:
        meta["guestInfo"] = {
            "guestId": room.guest_id,
            "userAgent": room.user_agent or "",
            "email": room.email,
            "phone": room.phone,
        }
    elif room.email or room.phone:
        meta["customerInfo"] = {"email": room.email, "phone": room.phone}
    if room.customer_id is not None:
        meta["customerId"] = room.customer_id
        meta["convertedAt"] = iso_ms(room.converted_at)
    meta.update(room.extra)
    return meta


def room(room: Room) -> dict[str, Any]:
    return {
        "_id": room.id,
        "businessId": room.business_id,
        "roomName": room.room_name,
        "metadata": room_metadata(room),
        "tags": list(room.tags),
        "isActive": room.is_active,
        "lastMessage": room.last_message,
        "lastMessageAt": iso_ms(room.last_message_at),
        "lastSeq": room.last_seq,
        "createdAt": iso_ms(room.created_at),
        "status": room.status,
        "closedAt": iso_ms(room.closed_at),
        "assignedTo": room.assigned_to,
        "unreadCount": room.unread_by_staff,
        "visitorUnreadCount": room.unread_by_visitor,
        "readSeq": {"staff": room.staff_read_seq, "visitor": room.visitor_read_seq},
        "rating": rating(room),
    }


def rating(room: Room) -> dict[str, Any] | None:
    """The room's ``rating``: its visitor's rating of the current closure, ``null`` when open
    or not rated since the close."""
    found = current_rating(room)
    if found is None:
        return None
    return {"score": found.score, "comment": found.comment, "ratedAt": iso_ms(found.rated_at)}


def message(message: Message) -> dict[str, Any]:
    body: dict[str, Any] = {
        "_id": message.id,
        "roomId": message.room_id,
        "seq": message.seq,
        "senderId": message.sender_id,
        "senderType": message.sender_type.value,
        "senderName": message.sender_name,
        "isGuest": message.is_guest,
        "content": message.content,
        "createdAt": iso_ms(message.created_at),
        "clientMsgId": message.client_msg_id,
    }
    if message.faq_id is not None:
        body["faqId"] = message.faq_id
    return body


def actor(principal: Principal) -> dict[str, Any]:
    """Who did something (``by`` of ``chat:room-status``, ``closedBy`` of ``room.closed``)."""
    return {"userId": principal.user_id, "userType": principal.role.value, "name": principal.name}


# replies: acks of the realtime events and REST bodies (§4, §10)


def room_reply(room_: Room) -> dict[str, Any]:
    """``{"room": ...}``: close, reopen and assign acks; ``GET``/``PATCH`` of one room."""
    return {"room": room(room_)}


def rooms_reply(rooms: Iterable[Room]) -> dict[str, Any]:
    """``chat:update-guest-info``'s ack: every room that changed."""
    return {"rooms": [room(each) for each in rooms]}


def room_page(rooms: Iterable[Room], next_cursor: str | None) -> dict[str, Any]:
    """``GET /api/chat/rooms``."""
    return {"rooms": [room(each) for each in rooms], "nextCursor": next_cursor}


def joined(room_: Room, messages: Iterable[Message], has_more: bool) -> dict[str, Any]:
    """``chat:join-room``'s ack: the room and its newest (or ``afterSeq``) messages."""
    return {"room": room(room_), "messages": [message(m) for m in messages], "hasMore": has_more}


def message_page(room_id: str, messages: Iterable[Message], has_more: bool) -> dict[str, Any]:
    """``chat:history``'s ack and ``GET /api/chat/rooms/{roomId}/messages``."""
    return {"roomId": room_id, "messages": [message(m) for m in messages], "hasMore": has_more}


def sent(message_: Message, *, created: bool) -> dict[str, Any]:
    """``chat:send-message``'s ack: the stored message; ``duplicate`` for a repeated clientMsgId."""
    return {**message(message_), "duplicate": not created}


def left(room_id: str, was_member: bool) -> dict[str, Any]:
    return {"roomId": room_id, "left": was_member}


def typing_relayed(room_id: str, relayed: bool) -> dict[str, Any]:
    return {"roomId": room_id, "relayed": relayed}


def read_position(room_id: str, seq: int, unread: int) -> dict[str, Any]:
    """``chat:read``'s ack: the caller's side's read position and what it has left unread."""
    return {"roomId": room_id, "seq": seq, "unreadCount": unread}


# pushes (§4, server -> client)


def room_updated(room: Room, current_page: PageView | None = None) -> dict[str, Any]:
    """The ``chat:room-updated`` payload: what a room list row shows; with ``currentPage`` when
    the update announces a page view (the same entry ends ``metadata.pageViews``)."""
    body: dict[str, Any] = {
        "roomId": room.id,
        "lastMessage": room.last_message,
        "lastMessageAt": iso_ms(room.last_message_at),
        "lastSeq": room.last_seq,
        "unreadCount": room.unread_by_staff,
        "status": room.status,
        "assignedTo": room.assigned_to,
        "roomName": room.room_name,
        "tags": list(room.tags),
        "metadata": room_metadata(room),
        "rating": rating(room),
    }
    if current_page is not None:
        body["currentPage"] = page_view(current_page)
    return body


def page_view(view: PageView) -> dict[str, Any]:
    """One entry of a room's ``metadata.pageViews`` (kept in the room's ``extra``, so as stored
    it is already in this form) and ``currentPage`` of ``chat:room-updated``."""
    return {"url": view.url, "title": view.title, "at": iso_ms(view.at)}


def page_views_recorded(room_ids: Iterable[str]) -> dict[str, Any]:
    """``chat:page-view``'s ack: the rooms whose page list changed."""
    return {"roomIds": list(room_ids)}


def room_deleted(room_id: str) -> dict[str, Any]:
    """``chat:room-deleted``: only the id, the room and everything in it are gone."""
    return {"roomId": room_id}


def room_status(room_id: str, status: str, by: dict[str, Any]) -> dict[str, Any]:
    """``chat:room-status``; ``by`` is an ``actor``."""
    return {"roomId": room_id, "status": status, "by": by}


def read_receipt(room_id: str, seq: int, side: str, by: Principal) -> dict[str, Any]:
    """``chat:read`` as the room's members receive it."""
    return {"roomId": room_id, "seq": seq, "side": side, **actor(by)}


def typing(room_id: str, is_typing: bool, by: Principal) -> dict[str, Any]:
    """``chat:typing`` as the room's members receive it."""
    return {"roomId": room_id, "isTyping": is_typing, **actor(by)}


# the business dashboard (§10)


def faq(faq: Faq) -> dict[str, Any]:
    return {
        "_id": faq.id,
        "businessId": faq.business_id,
        "question": faq.question,
        "answer": faq.answer,
        "keywords": list(faq.keywords),
        "enabled": faq.enabled,
        "createdAt": iso_ms(faq.created_at),
        "updatedAt": iso_ms(faq.updated_at),
    }


def canned(canned: CannedResponse) -> dict[str, Any]:
    return {
        "_id": canned.id,
        "businessId": canned.business_id,
        "shortCode": canned.short_code,
        "content": canned.content,
        "createdAt": iso_ms(canned.created_at),
        "updatedAt": iso_ms(canned.updated_at),
    }


def contact(contact: Contact) -> dict[str, Any]:
    return {
        "_id": contact.id,
        "businessId": contact.business_id,
        "email": contact.email,
        "phone": contact.phone,
        "name": contact.name,
        "createdAt": iso_ms(contact.created_at),
        "updatedAt": iso_ms(contact.updated_at),
    }


def conversion(room_: Room, contact_: Contact, *, created: bool) -> dict[str, Any]:
    """``POST /api/chat/rooms/{roomId}/convert-guest``."""
    return {"room": room(room_), "contact": contact(contact_), "contactCreated": created}


def staff_account(account: StaffAccount) -> dict[str, Any]:
    """Never the hash."""
    return {"_id": account.id, "businessId": account.business_id, "email": account.email, "name": account.name}


def staff_login(token: str, expires_in: int, account: StaffAccount) -> dict[str, Any]:
    """``POST /api/auth/login``."""
    return {"token": token, "expiresIn": expires_in, "staff": staff_account(account)}


def day_counts(day: DayCounts) -> dict[str, Any]:
    return {
        "date": datetime.fromtimestamp(day.day * DAY_MS / 1000, tz=UTC).date().isoformat(),
        "guestRooms": day.guest_rooms,
        "guestRoomsWithEmail": day.guest_rooms_with_email,
        "converted": day.converted,
        "conversionRate": round(day.converted / day.guest_rooms, 4) if day.guest_rooms else 0.0,
        "authenticatedRooms": day.authenticated_rooms,
    }


def analytics(report: Analytics) -> dict[str, Any]:
    """``GET /api/chat/analytics`` without ``businessId`` (the handler adds it)."""
    rate = report.converted / report.guest_rooms if report.guest_rooms else 0.0
    email_rate = report.guest_rooms_with_email / report.guest_rooms if report.guest_rooms else 0.0
    by_type = {kind: report.messages_by_sender_type.get(kind, 0) for kind in SENDER_TYPES}
    return {
        "from": iso_ms(report.from_ms),
        "to": iso_ms(report.to_ms),
        "guestRooms": report.guest_rooms,
        "guestRoomsWithEmail": report.guest_rooms_with_email,
        "emailCaptureRate": round(email_rate, 4),
        "converted": report.converted,
        "conversionRate": round(rate, 4),
        "authenticatedRooms": report.authenticated_rooms,
        "messagesBySenderType": by_type,
        "faqAnswers": report.faq_answers,
        "roomsWithStaffReply": report.rooms_with_staff_reply,
        "medianFirstResponseMs": report.median_first_response_ms,
        "csat": csat(report.csat),
        **({} if report.series is None else {"series": [day_counts(day) for day in report.series]}),
    }


def csat(counts: Csat) -> dict[str, Any]:
    """The analytics' ``csat``: ratings in the window, their mean and how many gave each score."""
    return {
        "responses": counts.responses,
        "average": counts.average,
        "distribution": {str(score): n for score, n in zip(SCORES, counts.distribution, strict=True)},
    }


def _auto_response(response: AutoResponse) -> dict[str, Any]:
    body: dict[str, Any] = {"enabled": response.enabled, "message": response.message}
    if response.translations:
        body["messages"] = dict(response.translations)
    return body


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def business_settings(settings: BusinessSettings) -> dict[str, Any]:
    """The settings document, every field present: what ``GET|PUT .../settings`` answer, and what
    the store keeps (``autoresponse.parse_settings`` reads it back)."""
    hours: dict[str, Any] | None = None
    if settings.hours is not None:
        weekly = settings.hours.weekly
        hours = {
            "timezone": settings.hours.timezone,
            "weekly": {day: [{"open": _hhmm(a), "close": _hhmm(b)} for a, b in weekly.get(day, ())] for day in DAYS},
        }
    return {
        "greeting": _auto_response(settings.greeting),
        "away": _auto_response(settings.away),
        "leadCapture": _auto_response(settings.lead_capture),
        "businessHours": hours,
        "faqThreshold": settings.faq_threshold,
        "guestRetentionDays": settings.guest_retention_days,
        "keepPageQuery": settings.keep_page_query,
    }
