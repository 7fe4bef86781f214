"""REST handlers of data-subject requests (issue 16): a guest's or a customer's export and erase,
for staff of the business. Thin: the use case checks the caller and the id, reads or erases."""

from __future__ import annotations

from chatserver.adapters.http.rest import ApiHandler
from chatserver.domain.privacy import SubjectKind
from chatserver.protocol.privacy_export import subject_export
from chatserver.usecases.privacy import Privacy
from chatserver.usecases.tokens import TokenVerifier


class ExportHandler(ApiHandler):
    """``GET /api/businesses/{businessId}/{guests|customers}/{id}/export``."""

    kind: SubjectKind

    def initialize(self, verifier: TokenVerifier, privacy: Privacy) -> None:
        self.verifier = verifier
        self.privacy = privacy

    async def get(self, business_id: str, subject_id: str) -> None:
        export = await self.privacy.export(self.principal(), business_id, self.kind, subject_id)
        self.send_json(subject_export(export))


class GuestExportHandler(ExportHandler):
    kind = SubjectKind.GUEST


class CustomerExportHandler(ExportHandler):
    kind = SubjectKind.CUSTOMER


class EraseHandler(ApiHandler):
    """``DELETE /api/businesses/{businessId}/{guests|customers}/{id}``: 204 once erased; 404
    when nothing is stored, a repeat included (protocol.md §10)."""

    kind: SubjectKind

    def initialize(self, verifier: TokenVerifier, privacy: Privacy) -> None:
        self.verifier = verifier
        self.privacy = privacy

    async def delete(self, business_id: str, subject_id: str) -> None:
        await self.privacy.erase(self.principal(), business_id, self.kind, subject_id)
        self.set_status(204)
        self.finish()


class GuestEraseHandler(EraseHandler):
    kind = SubjectKind.GUEST


class CustomerEraseHandler(EraseHandler):
    kind = SubjectKind.CUSTOMER
