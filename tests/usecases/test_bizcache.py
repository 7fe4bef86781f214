"""The automation cache: no database call per message while the business's configuration
version stays the same, one load when it moves, one load for a burst of concurrent misses,
and nothing at all while no message arrives."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from chatserver.adapters.memory.presence import MemoryPresence
from chatserver.domain.business import Faq
from chatserver.domain.models import Business, Message, NewMessage, Principal, Role, Room, SenderType
from chatserver.ports.store import AppendResult
from chatserver.usecases.automation import Automation, AutomationConfig, load_config
from chatserver.usecases.bizcache import BusinessCache


class FakeStore:
    """The reads automation makes, counted; what they return can be changed between calls."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.settings: dict[str, Any] = {}
        self.faqs: list[Faq] = []
        self.gate: asyncio.Event | None = None  # when set, reads wait for it

    async def _read(self, name: str) -> None:
        self.calls[name] += 1
        if self.gate is not None:
            await self.gate.wait()

    async def get_business_settings(self, business_id: str) -> dict[str, Any]:
        await self._read("settings")
        return dict(self.settings)

    async def get_business(self, business_id: str) -> Business | None:
        await self._read("business")
        return Business(business_id, "Acme", 0)

    async def list_faqs(self, business_id: str, *, enabled_only: bool = False) -> list[Faq]:
        await self._read("faqs")
        return [f for f in self.faqs if f.enabled or not enabled_only]

    # unused by automation, present for the protocol
    async def get_faq(self, faq_id: str) -> Faq | None:
        raise NotImplementedError

    async def create_faq(self, business_id: str, fields: Any, now: int) -> Faq:
        raise NotImplementedError

    async def update_faq(self, faq_id: str, fields: Any, now: int) -> Faq | None:
        raise NotImplementedError

    async def delete_faq(self, faq_id: str) -> bool:
        raise NotImplementedError

    async def put_business_settings(self, business_id: str, settings: dict[str, Any], now: int) -> None:
        raise NotImplementedError

    async def create_business(self, name: str, now: int) -> Business:
        raise NotImplementedError

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def clock() -> int:
    return 1_767_225_600_000


def faq(answer: str, keyword: str, *, enabled: bool = True) -> Faq:
    return Faq(f"faq-{keyword}", "b1", f"What about {keyword}?", answer, (keyword,), enabled, 0, 0)


ROOM = Room("r1", "b1", "Chat", "guest", None, "Visitor", True, "g1", None, None, None, (), True, None, None, 1, 0)
GUEST = Principal(Role.GUEST, "g1", "Visitor")


def visitor_message(seq: int, content: str) -> Message:
    return Message(f"m{seq}", "r1", seq, "g1", SenderType.GUEST, "Visitor", True, content, 0)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def cache(store: FakeStore) -> BusinessCache[AutomationConfig]:
    return BusinessCache(load=lambda business_id: load_config(store, business_id))


@pytest.fixture
def automation(cache: BusinessCache[AutomationConfig]) -> tuple[Automation, list[NewMessage]]:
    posted: list[NewMessage] = []

    async def post(new: NewMessage) -> AppendResult:
        posted.append(new)
        stored = Message(f"s{len(posted)}", new.room_id, 100 + len(posted), new.sender_id, new.sender_type,
                         new.sender_name, False, new.content, 0, new.client_msg_id, new.faq_id)  # fmt: skip
        return AppendResult(stored, created=True)

    bot = Automation(config=cache.get, presence=MemoryPresence(), post=post, clock=clock, default_threshold=80)
    return bot, posted


async def test_messages_of_one_version_read_the_configuration_once(store, automation):
    bot, posted = automation
    store.faqs = [faq("We ship to Canada.", "canada")]
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(1, "do you ship to canada"), 0)
    assert store.calls == {"settings": 1, "business": 1, "faqs": 1}
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(2, "canada again"), 0)
    assert store.total == 3
    answer = ("system:faq", "We ship to Canada.", "Acme")
    assert [(p.sender_id, p.content, p.sender_name) for p in posted] == [answer, answer]


async def test_a_new_version_is_read_before_the_message_is_answered(store, automation):
    bot, posted = automation
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(1, "canada?"), 0)
    store.faqs = [faq("We ship to Canada.", "canada")]  # a write (any instance) bumped the version
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(2, "canada?"), 1)
    assert store.total == 6 and [p.content for p in posted] == ["We ship to Canada."]
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(3, "canada?"), 1)
    assert store.total == 6


async def test_a_settings_change_applies_to_the_next_message(store, automation):
    bot, posted = automation
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(1, "hello"), 3)
    store.settings = {"leadCapture": {"enabled": True, "message": "Your email?"}}
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(2, "hello"), 4)
    assert [p.content for p in posted] == ["Your email?"]


async def test_an_older_version_does_not_replace_a_newer_entry(store, cache):
    await cache.get("b1", 5)
    await cache.get("b1", 4)  # a message whose append ran before the write, answered late
    await cache.get("b1", 5)
    assert store.calls["settings"] == 2 and len(cache) == 1


async def test_twenty_concurrent_misses_make_one_load(store, cache):
    store.gate = asyncio.Event()
    waiting = [asyncio.ensure_future(cache.get("b1", 0)) for _ in range(20)]
    await asyncio.sleep(0)
    store.gate.set()
    configs = await asyncio.gather(*waiting)
    assert store.calls == {"settings": 1, "business": 1, "faqs": 1}
    assert all(config is configs[0] for config in configs) and configs[0].name == "Acme"


async def test_a_cancelled_caller_does_not_cancel_the_load_the_others_wait_for(store, cache):
    store.gate = asyncio.Event()
    first, second = asyncio.ensure_future(cache.get("b1", 0)), asyncio.ensure_future(cache.get("b1", 0))
    await asyncio.sleep(0)
    first.cancel()
    store.gate.set()
    assert (await second).name == "Acme" and first.cancelled()
    assert store.total == 3 and len(cache) == 1


async def test_a_failed_load_reaches_every_waiter_and_is_not_kept(store, cache):
    store.settings = {"greeting": {"enabled": "yes"}}  # invalid: parse_settings refuses it
    results = await asyncio.gather(cache.get("b1", 0), cache.get("b1", 0), return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results) and store.calls["settings"] == 1
    assert len(cache) == 0
    store.settings = {}
    assert (await cache.get("b1", 0)).settings.greeting.enabled is False


async def test_size_is_bounded_and_the_least_recently_used_goes_first(store):
    cache = BusinessCache(load=lambda b: load_config(store, b), max_entries=2)
    await cache.get("a", 0)
    await cache.get("b", 0)
    await cache.get("a", 0)  # a hit: "b" is now the least recently used
    await cache.get("c", 0)
    assert len(cache) == 2 and store.calls["settings"] == 3
    await cache.get("a", 0)
    assert store.calls["settings"] == 3
    await cache.get("b", 0)
    assert store.calls["settings"] == 4


async def test_nothing_runs_while_no_message_arrives(store, cache):
    for business in ("a", "b", "c"):
        await cache.get(business, 0)
    before = store.total
    await asyncio.sleep(0.05)
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert store.total == before and tasks == []
