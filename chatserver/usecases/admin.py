"""Business administration used by the dashboard API and the CLI: FAQ entries and settings.

Callers check who may do it (staff of the business, or an operator at the CLI); this checks
what is done: valid fields, entries that belong to the business. The store bumps the
business's configuration version in each write's transaction, which is how every instance's
automation cache learns of the change (``bizcache.py``): nothing here has to tell anyone.
"""

from __future__ import annotations

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
    def __init__(self, *, store: AdminSource, clock: Clock) -> None:
        self.store = store
        self.clock = clock

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
        return await self.store.create_faq(business_id, fields, self.clock())

    async def update_faq(self, business_id: str, faq_id: str, body: Any) -> Faq:
        fields = faq_fields(body, partial=True)
        await self.faq(business_id, faq_id)
        updated = await self.store.update_faq(faq_id, fields, self.clock())
        if updated is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such FAQ", field="faqId")
        return updated

    async def delete_faq(self, business_id: str, faq_id: str) -> None:
        await self.faq(business_id, faq_id)
        await self.store.delete_faq(faq_id)

    async def import_faqs(self, business_id: str, data: Any) -> list[Faq]:
        """All entries are validated before any is stored."""
        entries = import_entries(data)
        await self._require_business(business_id)
        return [await self.store.create_faq(business_id, fields, self.clock()) for fields in entries]

    async def settings(self, business_id: str) -> BusinessSettings:
        await self._require_business(business_id)
        return parse_settings(await self.store.get_business_settings(business_id))

    async def put_settings(self, business_id: str, body: Any) -> BusinessSettings:
        """Replace the whole document (what is left out returns to its default)."""
        settings = parse_settings(body)
        await self._require_business(business_id)
        # the store keeps the settings as the document the API exchanges, defaults filled in
        await self.store.put_business_settings(business_id, wire.business_settings(settings), self.clock())
        return settings
