"""The visitor's current page (issue 17): a guest's or customer's widget reports the page it
is on; each room it names keeps the newest ``MAX_PAGE_VIEWS`` (``metadata.pageViews``) and the
business's dashboards see the move live (``chat:room-updated`` with ``currentPage``).

Who may report, and for which rooms, is decided by the caller (``realtime.workflow_events``,
which knows the connection's rooms and its rate); this cleans the report and stores it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chatserver.domain.clock import Clock
from chatserver.domain.events import PageViewed
from chatserver.domain.models import Principal, Role, Room
from chatserver.domain.pages import MAX_PAGE_VIEWS, PageView, page_title, page_url
from chatserver.ports.business_store import PageViewStore, SettingsStore
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.automation import parse_settings
from chatserver.usecases.dispatch import Dispatcher


class PageViewSource(PageViewStore, SettingsStore, Protocol):
    """The slice of the store page views use: the room's list, the business's settings."""


def require_visitor(principal: Principal) -> None:
    """Staff have no page to report: only the room's guest or customer does."""
    if principal.role is Role.STAFF:
        raise ChatError(ErrorCode.FORBIDDEN, "only the room's visitor reports page views", field="roomId")


def clean_url(url: str, *, keep_query: bool = True) -> str:
    """The URL as stored, or ``invalid_payload`` on ``url`` when it is no absolute http(s) URL."""
    clean = page_url(url, keep_query=keep_query)
    if clean is None:
        raise ChatError(ErrorCode.INVALID_PAYLOAD, "url must be an absolute http or https URL", field="url")
    return clean


class PageViews:
    def __init__(self, *, store: PageViewSource, dispatcher: Dispatcher, clock: Clock) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.clock = clock

    async def record(self, principal: Principal, rooms: Sequence[Room], url: str, title: str | None) -> list[Room]:
        """Store the view in each of ``rooms`` (the caller checked they are the visitor's) and
        announce it; returns the rooms as stored. The URL keeps its query and fragment only in
        businesses whose settings say ``keepPageQuery``: one settings read per business."""
        require_visitor(principal)
        clean_url(url)  # refused before any room is looked up or written
        clean_title = page_title(title)
        now = self.clock()
        keep_query: dict[str, bool] = {}
        updated: list[Room] = []
        for room in rooms:
            if room.business_id not in keep_query:
                settings = parse_settings(await self.store.get_business_settings(room.business_id))
                keep_query[room.business_id] = settings.keep_page_query
            view = PageView(clean_url(url, keep_query=keep_query[room.business_id]), clean_title, now)
            stored = await self.store.record_page_view(room.id, view, keep=MAX_PAGE_VIEWS)
            if stored is None:  # erased meanwhile: nothing to show anyone
                continue
            await self.dispatcher.publish(PageViewed(stored, view))
            updated.append(stored)
        return updated
