"""Fixtures of the webhook tests: a real HTTP receiver started on the test's loop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tornado.ioloop import IOLoop

from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver(io_loop: IOLoop) -> Iterator[Receiver]:
    """A receiver on the test's loop (pytest-tornasync has no async fixtures)."""
    hooks: Receiver = io_loop.run_sync(Receiver().start)
    yield hooks
    io_loop.run_sync(hooks.close)
