"""``/api/businesses/{businessId}/canned-responses``: a business's canned responses, for its staff."""

from __future__ import annotations

from chatserver.adapters.http.dashboard import DashboardHandler
from chatserver.protocol import wire
from chatserver.usecases.canned import CannedResponses
from chatserver.usecases.tokens import TokenVerifier


class _CannedHandler(DashboardHandler):
    def initialize(self, verifier: TokenVerifier, canned: CannedResponses) -> None:
        self.verifier = verifier
        self.canned = canned


class CannedListHandler(_CannedHandler):
    async def get(self, business_id: str) -> None:
        self.staff_of(business_id)
        found = await self.canned.of_business(business_id)
        self.send_json({"cannedResponses": [wire.canned(item) for item in found]})

    async def post(self, business_id: str) -> None:
        self.staff_of(business_id)
        self.send_json(wire.canned(await self.canned.add(business_id, self.body())), 201)


class CannedHandler(_CannedHandler):
    async def get(self, business_id: str, canned_id: str) -> None:
        self.staff_of(business_id)
        self.send_json(wire.canned(await self.canned.get(business_id, canned_id)))

    async def patch(self, business_id: str, canned_id: str) -> None:
        self.staff_of(business_id)
        self.send_json(wire.canned(await self.canned.update(business_id, canned_id, self.body())))

    async def delete(self, business_id: str, canned_id: str) -> None:
        self.staff_of(business_id)
        await self.canned.delete(business_id, canned_id)
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()
