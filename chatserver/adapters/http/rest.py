"""REST API for the dashboard: thin handlers over ``ChatService``; errors as ``{"error": {...}}``."""

from __future__ import annotations

import json
import logging
from typing import Any

from tornado.web import HTTPError

from chatserver.adapters.http.realtime_handler import bearer_token
from chatserver.adapters.http.redaction import RedactedLogs
from chatserver.domain.business import RoomFilter
from chatserver.domain.models import Principal, RoomStatus
from chatserver.ports.store import StoreError
from chatserver.protocol import ChatError, ErrorCode, wire
from chatserver.usecases.conversations import ChatService, require_staff_of
from chatserver.usecases.tokens import TokenVerifier

log = logging.getLogger("chatserver.rest")

HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.BAD_JSON: 400,
    ErrorCode.BAD_FRAME: 400,
    ErrorCode.INVALID_PAYLOAD: 400,
    ErrorCode.UNKNOWN_EVENT: 404,
    ErrorCode.AUTH_INVALID: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.LIMIT_REACHED: 409,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL: 500,
    ErrorCode.UNAVAILABLE: 503,
}


class ApiHandler(RedactedLogs):
    """JSON in, JSON out; a ``ChatError`` anywhere becomes the matching status and body.

    Each handler's ``initialize`` takes what it uses, given in the URL table (``make_app``);
    handlers that authenticate a caller are given the ``verifier``."""

    verifier: TokenVerifier

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")

    def prepare(self) -> None:
        # NUL cannot reach PostgreSQL (it can neither store nor compare it): refuse it up front
        if "%00" in (self.request.uri or "") or "\x00" in self.request.path:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "the request must not contain NUL (U+0000)")

    def principal(self) -> Principal | None:
        token = bearer_token(self.request.headers.get("Authorization"))
        return None if token is None else self.verifier.verify(token)

    def staff_of(self, business_id: str) -> Principal:
        principal = self.principal()
        require_staff_of(principal, business_id)
        assert principal is not None
        return principal

    def int_arg(
        self, name: str, *, default: int | None = None, minimum: int = 0, maximum: int = 2**53 - 1
    ) -> int | None:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{name} must be an integer", field=name) from None
        if not minimum <= value <= maximum:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{name} must be from {minimum} to {maximum}", field=name)
        return value

    def send_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(body, separators=(",", ":"), ensure_ascii=False))

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, ChatError):
            if self._finished:
                return
            status = HTTP_STATUS.get(e.code, 400)
            if e.code is ErrorCode.AUTH_INVALID:
                self.set_header("WWW-Authenticate", 'Bearer realm="chatserver"')
            self.send_json({"error": e.to_dict()}, status)
            return
        if isinstance(e, StoreError) and not self._finished:
            log.warning("%s %s: store unavailable: %s", self.request.method, self.request.path, e)
            self.send_json({"error": {"code": ErrorCode.UNAVAILABLE.value, "message": "storage is unavailable"}}, 503)
            return
        super()._handle_request_exception(e)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        code = (
            ErrorCode.INTERNAL
            if status_code >= 500
            else ErrorCode.NOT_FOUND
            if status_code == 404
            else ErrorCode.INVALID_PAYLOAD
        )
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = exc.log_message if isinstance(exc, HTTPError) and exc.log_message else self._reason
        self.finish(json.dumps({"error": {"code": code.value, "message": message}}))


class RoomsHandler(ApiHandler):
    def initialize(self, verifier: TokenVerifier, service: ChatService) -> None:
        self.verifier = verifier
        self.service = service

    async def get(self) -> None:
        business_id = self.get_query_argument("businessId", "")
        if not business_id:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "businessId is required", field="businessId")
        principal = self.staff_of(business_id)
        limit = self.int_arg("limit", default=50, minimum=1, maximum=100) or 50
        page = await self.service.list_rooms(
            principal,
            business_id,
            limit=limit,
            cursor=self.get_query_argument("cursor", None),
            filters=self.room_filter(),
        )
        self.send_json(wire.room_page(page.rooms, page.next_cursor))

    def room_filter(self) -> RoomFilter:
        """``isGuest``, ``status``, ``tag``, ``assignedTo``, ``q`` (name or email contains)."""
        is_guest = self.get_query_argument("isGuest", None)
        if is_guest not in (None, "", "true", "false"):
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "isGuest must be true or false", field="isGuest")
        raw_status = self.get_query_argument("status", None) or None
        try:
            status = None if raw_status is None else RoomStatus(raw_status)
        except ValueError:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "status must be open or closed", field="status") from None
        limits = {"tag": 64, "assignedTo": 128, "q": 100}
        values: dict[str, str | None] = {}
        for name, limit in limits.items():
            value = self.get_query_argument(name, None) or None
            if value is not None and len(value) > limit:
                raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{name} is longer than {limit}", field=name)
            values[name] = value
        return RoomFilter(
            is_guest=None if not is_guest else is_guest == "true",
            status=status,
            tag=values["tag"],
            assigned_to=values["assignedTo"],
            text=values["q"],
        )


class RoomMessagesHandler(ApiHandler):
    def initialize(self, verifier: TokenVerifier, service: ChatService) -> None:
        self.verifier = verifier
        self.service = service

    async def get(self, room_id: str) -> None:
        principal = self.principal()
        if principal is None:
            raise ChatError(ErrorCode.AUTH_INVALID, "a bearer token is required")
        room = await self.service.room_for(principal, room_id)
        messages, has_more = await self.service.page(
            room.id,
            before_seq=self.int_arg("beforeSeq", minimum=1),
            after_seq=self.int_arg("afterSeq"),
            limit=self.int_arg("limit", minimum=1, maximum=100),
        )
        self.send_json(wire.message_page(room.id, messages, has_more))


class NotFoundHandler(ApiHandler):
    def prepare(self) -> None:
        raise ChatError(ErrorCode.NOT_FOUND, f"no route for {self.request.path}")
