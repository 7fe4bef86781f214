"""Business administration used by the dashboard API and the CLI: FAQ entries and settings.

Callers check who may do it (staff of the business, or an operator at the CLI); this checks
what is done: valid fields, entries that belong to the business. After each write commits it
calls ``on_change(business_id)``: the server drops that business from its automation cache, so
the change applies to the very next visitor message on this instance. It is called after a
failed write too: a commit that failed may still have been applied, and a needless reload is
cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from chatserver.domain.business import BusinessSettings, Faq
from chatserver.domain.clock import Clock
from chatserver.ports.business_store import FaqStore, SettingsStore
from chatserver.ports.store import BusinessStore
from chatserver.protocol import ChatError, ErrorCode, wire
from chatserver.usecases.automation import parse_settings
from chatserver.usecases.faq_entries import faq_fields, import_entries


class AdminSource(FaqStore, SettingsStore, BusinessStore, Protocol):
    """The slice of the store administration writes."""


class BusinessAdmin:
    def __init__(self, *, store: AdminSource, clock: Clock, on_change: Callable[[str], None] | None = None) -> None:
        self.store = store
        self.clock = clock
        self.on_change = on_change or _ignore

    async def _require_business(self, business_id: str) -> None:
        if await self.store.get_business(business_id) is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such business", field="businessId")

    async def faq(self, business_id: str, faq_id: str) -> Faq:
        faq = await self.store.get_faq(faq_id)
        if faq is None or faq.business_id != business_id:
            raise ChatError(ErrorCode.NOT_FOUND, "no such FAQ", field="faqId")
        return faq

    async def list_faqs(self, business_id: str) -> list[Faq]:
        await self._require_business(business_id)
        return await self.store.list_faqs(business_id)

    async def add_faq(self, business_id: str, body: Any) -> Faq:
        fields = faq_fields(body, partial=False)
        await self._require_business(business_id)
        try:
            return await self.store.create_faq(business_id, fields, self.clock())
        finally:
            self.on_change(business_id)

    async def update_faq(self, business_id: str, faq_id: str, body: Any) -> Faq:
        fields = faq_fields(body, partial=True)
        await self.faq(business_id, faq_id)
        try:
            updated = await self.store.update_faq(faq_id, fields, self.clock())
        finally:
            self.on_change(business_id)
        if updated is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such FAQ", field="faqId")
        return updated

    async def delete_faq(self, business_id: str, faq_id: str) -> None:
        await self.faq(business_id, faq_id)
        try:
            await self.store.delete_faq(faq_id)
        finally:
            self.on_change(business_id)

    async def import_faqs(self, business_id: str, data: Any) -> list[Faq]:
        """All entries are validated before any is stored."""
        entries = import_entries(data)
        await self._require_business(business_id)
        try:
            return [await self.store.create_faq(business_id, fields, self.clock()) for fields in entries]
        finally:
            self.on_change(business_id)

    async def settings(self, business_id: str) -> BusinessSettings:
        await self._require_business(business_id)
        return parse_settings(await self.store.get_business_settings(business_id))

    async def put_settings(self, business_id: str, body: Any) -> BusinessSettings:
        """Replace the whole document (what is left out returns to its default)."""
        settings = parse_settings(body)
        await self._require_business(business_id)
        try:
            # the store keeps the settings as the document the API exchanges, defaults filled in
            await self.store.put_business_settings(business_id, wire.business_settings(settings), self.clock())
        finally:
            self.on_change(business_id)
        return settings


def _ignore(business_id: str) -> None:
    """No cache to tell (the CLI: running servers see its changes within AUTOMATION_CACHE_TTL)."""
