"""Persist, then publish: the one path every message takes, a visitor's, a staff member's or
an automated one. ``ChatService`` posts what people send; ``Automation`` posts its answers."""

from __future__ import annotations

import logging

from chatserver.domain.clock import Clock
from chatserver.domain.events import MessagePosted
from chatserver.domain.models import NewMessage, Principal
from chatserver.ports.store import AppendResult, MessageStore, Prepare, StoreError
from chatserver.ports.telemetry import Telemetry
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.dispatch import Dispatcher

log = logging.getLogger("chatserver.chat")


class Poster:
    def __init__(
        self,
        *,
        store: MessageStore,
        dispatcher: Dispatcher,
        telemetry: Telemetry,
        clock: Clock,
    ) -> None:
        self.store = store
        self.dispatcher = dispatcher
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
            reopened_by = actor if result.reopened else None
            await self.dispatcher.publish(MessagePosted(result.message, result.room, reopened_by))
        return result
