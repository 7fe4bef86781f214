"""Persist, then publish: the one path every message takes, a visitor's, a staff member's or
an automated one. ``ChatService`` posts what people send; ``Automation`` posts its answers."""

from __future__ import annotations

import logging

from chatserver.domain.clock import Clock
from chatserver.domain.models import NewMessage, Principal
from chatserver.fanout.hub import Hub
from chatserver.ports.store import AppendResult, MessageStore, Prepare, StoreError
from chatserver.ports.telemetry import Telemetry
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.workflow import Notifier, Workflow

log = logging.getLogger("chatserver.chat")


class Poster:
    def __init__(
        self,
        *,
        store: MessageStore,
        hub: Hub,
        workflow: Workflow,
        notifier: Notifier,
        telemetry: Telemetry,
        clock: Clock,
    ) -> None:
        self.store = store
        self.hub = hub
        self.workflow = workflow
        self.notifier = notifier
        self.telemetry = telemetry
        self.clock = clock

    async def append(
        self, new: NewMessage, *, prepare: Prepare | None = None, actor: Principal | None = None
    ) -> AppendResult:
        """Persist and publish one message (also used for system messages). ``actor``: who
        reopened the room, when ``prepare`` decided to."""
        try:
            result = await self.store.append_message(new, self.clock(), prepare=prepare)
        except StoreError as exc:
            if exc.uncertain:
                log.warning("message may or may not be stored (commit failed): %s", exc)
                raise ChatError(
                    ErrorCode.INTERNAL, "the message may or may not be stored; retry with the same clientMsgId"
                ) from None
            log.warning("message not stored: %s", exc)
            raise ChatError(
                ErrorCode.UNAVAILABLE, "the message could not be stored; retry with the same clientMsgId"
            ) from None
        if result.created:
            self.telemetry.message_stored()
            if result.reopened and actor is not None:
                # before the message: members see the room open again, then what reopened it
                await self.workflow.announce_reopened(actor, new.room_id)
            try:
                await self.hub.publish_message(result.message)
            except Exception:
                # stored is what counts: members catch up from the store when the broker returns
                log.exception("message %s stored but not published", result.message.id)
            if result.room is not None:
                await self.notifier.message_activity(result.room)
        return result
