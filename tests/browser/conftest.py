"""Fixtures for the browser tests: Debian's Chromium through Playwright, servers as subprocesses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    WAIT_MS,
    ChatServer,
    HostPages,
    postgres_schema_aside,
    start_server,
)

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
expect.set_options(timeout=WAIT_MS)  # every expect() waits on its condition up to this bound


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatServer]:
    """A server shared by the browser tests (each test makes its own business)."""
    server = start_server("sqlite", tmp_path_factory.mktemp("server"))
    yield server
    server.stop()


@pytest.fixture
def own_server(backend: str, tmp_path: Path) -> Iterator[ChatServer]:
    """A server for one test, on the test's ``backend``."""
    if backend == "postgres":
        with postgres_schema_aside() as schema:
            server = start_server("postgres", tmp_path, schema)
            yield server
            server.stop()
    else:
        server = start_server("sqlite", tmp_path)
        yield server
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module: Playwright's sync API keeps an event loop running on the main thread while it is
    open, which the in-process server tests (pytest-tornasync) that come later cannot share."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Any]:
    """``new_context(**options)``: a fresh browser profile (own localStorage); all closed afterwards.
    Any JavaScript error or dialog (an ``alert`` from an XSS) fails the test."""
    contexts: list[Any] = []
    problems: list[str] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**options)
        context.set_default_timeout(WAIT_MS)
        context.on("page", lambda page: watch(page))
        contexts.append(context)
        return context

    def watch(page: Any) -> None:
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

        def on_dialog(dialog: Any) -> None:
            problems.append(f"dialog opened: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture(scope="session")
def host_pages() -> Iterator[HostPages]:
    """Someone else's website: pages on another origin (``http://localhost:<port>``) than the
    chat server (``http://127.0.0.1:<port>``)."""
    pages = HostPages()
    yield pages
    pages.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
