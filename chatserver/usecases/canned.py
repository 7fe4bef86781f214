"""Canned responses of a business, for its staff (the dashboard API).

Bodies are validated here and refusals name the field; a short code another response of the
business already has (in any case) is refused as ``invalid_payload`` on ``shortCode``, however
the race between two staff members goes (the store's unique index decides)."""

from __future__ import annotations

from typing import Any, Protocol

from chatserver.domain.canned import (
    MAX_CONTENT,
    MAX_PER_BUSINESS,
    MAX_SHORT_CODE,
    CannedFields,
    CannedResponse,
    valid_short_code,
)
from chatserver.domain.clock import Clock
from chatserver.ports.canned import CannedStore, ShortCodeTaken
from chatserver.ports.store import BusinessStore
from chatserver.protocol import ChatError, ErrorCode


class CannedSource(CannedStore, BusinessStore, Protocol):
    """The slice of the store canned responses use."""


class CannedResponses:
    def __init__(self, *, store: CannedSource, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def of_business(self, business_id: str) -> list[CannedResponse]:
        await self._require_business(business_id)
        return await self.store.list_canned(business_id)

    async def get(self, business_id: str, canned_id: str) -> CannedResponse:
        found = await self.store.get_canned(canned_id)
        if found is None or found.business_id != business_id:
            raise ChatError(ErrorCode.NOT_FOUND, "no such canned response", field="cannedId")
        return found

    async def add(self, business_id: str, body: Any) -> CannedResponse:
        fields = canned_fields(body, partial=False)
        await self._require_business(business_id)
        if await self.store.count_canned(business_id) >= MAX_PER_BUSINESS:
            raise ChatError(ErrorCode.LIMIT_REACHED, f"a business may keep at most {MAX_PER_BUSINESS} canned responses")
        try:
            return await self.store.create_canned(business_id, fields, self.clock())
        except ShortCodeTaken:
            raise _taken(fields) from None

    async def update(self, business_id: str, canned_id: str, body: Any) -> CannedResponse:
        fields = canned_fields(body, partial=True)
        await self.get(business_id, canned_id)
        try:
            updated = await self.store.update_canned(canned_id, fields, self.clock())
        except ShortCodeTaken:
            raise _taken(fields) from None
        if updated is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such canned response", field="cannedId")
        return updated

    async def delete(self, business_id: str, canned_id: str) -> None:
        await self.get(business_id, canned_id)
        if not await self.store.delete_canned(canned_id):
            raise ChatError(ErrorCode.NOT_FOUND, "no such canned response", field="cannedId")

    async def _require_business(self, business_id: str) -> None:
        if await self.store.get_business(business_id) is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such business", field="businessId")


def _taken(fields: CannedFields) -> ChatError:
    return ChatError(
        ErrorCode.INVALID_PAYLOAD,
        f"shortCode {fields.short_code!r} is already used by another canned response",
        field="shortCode",
    )


def canned_fields(body: Any, *, partial: bool) -> CannedFields:
    """Both fields for a create, either for an update; refusals name the field."""
    if not isinstance(body, dict):
        raise ChatError(ErrorCode.INVALID_PAYLOAD, "the body must be a JSON object", field="body")
    code = body.get("shortCode")
    content = body.get("content")
    if code is None and not partial:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, "shortCode is required", field="shortCode")
    if code is not None and (not isinstance(code, str) or not valid_short_code(code)):
        raise ChatError(
            ErrorCode.INVALID_PAYLOAD,
            f"shortCode must be 1 to {MAX_SHORT_CODE} letters, digits, '-' or '_'",
            field="shortCode",
        )
    if content is None and not partial:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, "content is required", field="content")
    if content is not None:
        if not isinstance(content, str) or not content.strip() or "\x00" in content:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "content must be a non-empty string", field="content")
        content = content.strip()
        if len(content) > MAX_CONTENT:
            raise ChatError(
                ErrorCode.INVALID_PAYLOAD, f"content must be at most {MAX_CONTENT} characters", field="content"
            )
    if partial and code is None and content is None:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, "give shortCode, content or both", field="body")
    return CannedFields(short_code=code, content=content)
