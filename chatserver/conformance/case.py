"""What a conformance case is, what it needs to run, and how it failed."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatserver.conformance.context import Context


class Need(enum.StrEnum):
    """Inputs or deployments a case depends on; without them it is reported as SKIP."""

    SIGNING_KEY = "--jwt-secret"  # tokens only the signing key can make (missing claims, other algorithms)
    TWO_URLS = "two --url"  # two instances sharing one database
    CLUSTER = "--cluster"  # live fan-out between instances (a shared broker such as Redis)
    MANY_BUSINESSES = "--business given max-rooms+1 times"  # a guest opening more rooms than allowed


class CaseFailed(AssertionError):
    """The server did something protocol.md does not allow; the message says what."""


@dataclass(frozen=True, slots=True)
class Case:
    name: str  # group.what, e.g. "send.idempotent"
    section: str  # where protocol.md states the rule, e.g. "§4 chat:send-message"
    run: Callable[[Context], Awaitable[None]]
    needs: frozenset[Need] = field(default_factory=frozenset)


def case(name: str, section: str, *needs: Need) -> Callable[[Callable[[Context], Awaitable[None]]], Case]:
    """Decorator turning ``async def check(ctx)`` into a ``Case``."""

    def wrap(run: Callable[[Context], Awaitable[None]]) -> Case:
        return Case(name, section, run, frozenset(needs))

    return wrap


def expect(condition: object, message: str) -> None:
    if not condition:
        raise CaseFailed(message)


def expect_error(frame: dict[str, Any], code: str, *, field: str | None = None, where: str = "ack") -> dict[str, Any]:
    """``frame`` is a failed ack (``where="ack"``) or an ``error`` frame with ``code`` (and ``field``)."""
    if where == "ack":
        expect(frame.get("event") == "ack", f"expected a failed ack, got {_short(frame)}")
        error = frame.get("error")
        expect(isinstance(error, dict), f"expected an ack with 'error', got {_short(frame)}")
        expect("data" not in frame, f"a failed ack must not carry 'data': {_short(frame)}")
    else:
        expect(frame.get("event") == "error", f"expected an error frame, got {_short(frame)}")
        error = frame.get("data")
        expect(isinstance(error, dict), f"error frame without data: {_short(frame)}")
    assert isinstance(error, dict)
    expect(
        error.get("code") == code, f"expected error code {code!r}, got {error.get('code')!r} ({error.get('message')!r})"
    )
    expect(isinstance(error.get("message"), str) and error["message"], "error without a message")
    if field is not None:
        expect(error.get("field") == field, f"expected error field {field!r}, got {error.get('field')!r}")
    return error


def _short(frame: object) -> str:
    text = repr(frame)
    return text if len(text) <= 200 else text[:197] + "..."
