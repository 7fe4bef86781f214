"""REST for webhooks (protocol.md §10): staff register, list, remove, inspect and replay."""

from __future__ import annotations

import json
from typing import Any

from chatserver.adapters.http.rest import ApiHandler
from chatserver.protocol import ChatError, ErrorCode, webhook_payloads
from chatserver.usecases.tokens import TokenVerifier
from chatserver.webhooks.service import WebhookService


class WebhookApiHandler(ApiHandler):
    def initialize(self, verifier: TokenVerifier, webhooks: WebhookService) -> None:
        self.verifier = verifier
        self.webhooks = webhooks

    def json_body(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "the body is not valid JSON", field="body") from None
        if not isinstance(body, dict):
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "the body must be a JSON object", field="body")
        return body


class WebhooksHandler(WebhookApiHandler):
    async def get(self) -> None:
        business_id = self.get_query_argument("businessId", "")
        if not business_id:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "businessId is required", field="businessId")
        listed = await self.webhooks.list(self.principal(), business_id)
        self.send_json({"webhooks": [webhook_payloads.webhook(hook, stats=stats) for hook, stats in listed]})

    async def post(self) -> None:
        body = self.json_body()
        business_id = body.get("businessId")
        if not isinstance(business_id, str) or not business_id:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "businessId is required", field="businessId")
        webhook = await self.webhooks.register(self.principal(), business_id, body.get("url"), body.get("events"))
        self.send_json({"webhook": webhook_payloads.webhook(webhook, with_secret=True)}, 201)


class WebhookHandler(WebhookApiHandler):
    async def delete(self, webhook_id: str) -> None:
        await self.webhooks.remove(self.principal(), webhook_id)
        self.set_status(204)
        self.finish()


class WebhookDeliveriesHandler(WebhookApiHandler):
    async def get(self, webhook_id: str) -> None:
        limit = self.int_arg("limit", default=50, minimum=1, maximum=100) or 50
        page = await self.webhooks.deliveries(
            self.principal(),
            webhook_id,
            status=self.get_query_argument("status", None),
            limit=limit,
            cursor=self.get_query_argument("cursor", None),
        )
        deliveries = [webhook_payloads.delivery(d) for d in page.deliveries]
        self.send_json({"deliveries": deliveries, "nextCursor": page.next_cursor})


class WebhookReplayHandler(WebhookApiHandler):
    async def post(self, webhook_id: str) -> None:
        body = self.json_body()
        replayed = await self.webhooks.replay(
            self.principal(), webhook_id, delivery_id=body.get("deliveryId"), status=body.get("status")
        )
        self.send_json({"replayed": replayed})
