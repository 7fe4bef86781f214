"""REST handlers of the business dashboard: login, one room, room changes, guest conversion,
analytics, FAQ entries and business settings. Thin: parse, check the caller, call the domain."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from chatserver.adapters.http.rest import ApiHandler
from chatserver.domain.models import Principal, RoomStatus
from chatserver.protocol import ChatError, ErrorCode, wire
from chatserver.usecases.admin import BusinessAdmin
from chatserver.usecases.analytics import Reports
from chatserver.usecases.contacts import Contacts
from chatserver.usecases.conversations import ChatService
from chatserver.usecases.staffauth import StaffAuth
from chatserver.usecases.tokens import TokenVerifier
from chatserver.usecases.workflow import Workflow, require_staff_for

ROOM_PATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "status": {"type": "string", "enum": [status.value for status in RoomStatus]},
        "assignedTo": {"type": ["string", "null"], "minLength": 1, "maxLength": 128},
        "tags": {
            "type": "array",
            "maxItems": 20,
            "items": {"type": "string", "minLength": 1, "maxLength": 64},
        },
    },
}
ROOM_PATCH = Draft202012Validator(ROOM_PATCH_SCHEMA)


class DashboardHandler(ApiHandler):
    def body(self) -> Any:
        """The JSON body; an empty body is ``{}``."""
        raw = self.request.body
        if not raw or not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise ChatError(ErrorCode.BAD_JSON, "the body is not valid JSON", field="body") from None

    def object_body(self) -> dict[str, Any]:
        body = self.body()
        if not isinstance(body, dict):
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "the body must be a JSON object", field="body")
        return body

    def bearer(self) -> Principal:
        principal = self.principal()
        if principal is None:
            raise ChatError(ErrorCode.AUTH_INVALID, "a bearer token is required")
        return principal


class LoginHandler(DashboardHandler):
    def initialize(self, staff_auth: StaffAuth) -> None:
        self.staff_auth = staff_auth

    async def post(self) -> None:
        body = self.object_body()
        login = await self.staff_auth.login(body.get("email"), body.get("password"), self.request.remote_ip or "")
        self.send_json(wire.staff_login(login.token, login.expires_in, login.account))


class RoomHandler(DashboardHandler):
    def initialize(self, verifier: TokenVerifier, service: ChatService, workflow: Workflow) -> None:
        self.verifier = verifier
        self.service = service
        self.workflow = workflow

    async def get(self, room_id: str) -> None:
        room = await self.service.room_for(self.bearer(), room_id)
        self.send_json(wire.room_reply(room))

    async def patch(self, room_id: str) -> None:
        principal = self.bearer()
        room = await self.service.room_for(principal, room_id)
        require_staff_for(principal, room)
        body = self.object_body()
        error = best_match(ROOM_PATCH.iter_errors(body))
        if error is not None:
            field = ".".join(str(p) for p in error.absolute_path) or "body"
            raise ChatError(ErrorCode.INVALID_PAYLOAD, f"{field}: {error.message[:200]}", field=field)
        workflow = self.workflow
        if "status" in body:
            room = await workflow.set_status(principal, room, RoomStatus(body["status"]))
        if "assignedTo" in body:
            room = await workflow.assign(principal, room, body["assignedTo"])
        if "tags" in body:
            room = await workflow.set_tags(principal, room, body["tags"])
        self.send_json(wire.room_reply(room))


class ConvertGuestHandler(DashboardHandler):
    def initialize(self, verifier: TokenVerifier, service: ChatService, contacts: Contacts) -> None:
        self.verifier = verifier
        self.service = service
        self.contacts = contacts

    async def post(self, room_id: str) -> None:
        principal = self.bearer()
        room = await self.service.room_for(principal, room_id)
        body = self.object_body()
        conversion = await self.contacts.convert_guest(principal, room, body.get("email"), body.get("phone"))
        self.send_json(wire.conversion(conversion.room, conversion.contact, created=conversion.created))


class AnalyticsHandler(DashboardHandler):
    def initialize(self, verifier: TokenVerifier, reports: Reports) -> None:
        self.verifier = verifier
        self.reports = reports

    async def get(self) -> None:
        business_id = self.get_query_argument("businessId", "")
        if not business_id:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "businessId is required", field="businessId")
        report = await self.reports.report(
            self.principal(),
            business_id,
            self.get_query_argument("from", None),
            self.get_query_argument("to", None),
            self.get_query_argument("bucket", None) or None,
        )
        self.send_json({"businessId": business_id, **wire.analytics(report)})


class AdminHandler(DashboardHandler):
    """FAQ entries and settings of a business, for its staff."""

    def initialize(self, verifier: TokenVerifier, admin: BusinessAdmin) -> None:
        self.verifier = verifier
        self.admin = admin


class FaqsHandler(AdminHandler):
    async def get(self, business_id: str) -> None:
        self.staff_of(business_id)
        faqs = await self.admin.list_faqs(business_id)
        self.send_json({"faqs": [wire.faq(faq) for faq in faqs]})

    async def post(self, business_id: str) -> None:
        self.staff_of(business_id)
        faq = await self.admin.add_faq(business_id, self.body())
        self.send_json(wire.faq(faq), 201)


class FaqHandler(AdminHandler):
    async def get(self, business_id: str, faq_id: str) -> None:
        self.staff_of(business_id)
        self.send_json(wire.faq(await self.admin.faq(business_id, faq_id)))

    async def patch(self, business_id: str, faq_id: str) -> None:
        self.staff_of(business_id)
        faq = await self.admin.update_faq(business_id, faq_id, self.body())
        self.send_json(wire.faq(faq))

    async def delete(self, business_id: str, faq_id: str) -> None:
        self.staff_of(business_id)
        await self.admin.delete_faq(business_id, faq_id)
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()


class SettingsHandler(AdminHandler):
    async def get(self, business_id: str) -> None:
        self.staff_of(business_id)
        self.send_json(wire.business_settings(await self.admin.settings(business_id)))

    async def put(self, business_id: str) -> None:
        self.staff_of(business_id)
        self.send_json(wire.business_settings(await self.admin.put_settings(business_id, self.body())))
