"""The automation cache: no database call per message while an entry is fresh, a reload after
the TTL or an invalidation, and one load for a burst of concurrent misses."""

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

TTL = 5000


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


class Clock:
    def __init__(self) -> None:
        self.now = 1_767_225_600_000

    def __call__(self) -> int:
        return self.now


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
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(store: FakeStore, clock: Clock) -> BusinessCache[AutomationConfig]:
    return BusinessCache(load=lambda business_id: load_config(store, business_id), clock=clock, ttl_ms=TTL)


@pytest.fixture
def automation(cache: BusinessCache[AutomationConfig], clock: Clock) -> tuple[Automation, list[NewMessage]]:
    posted: list[NewMessage] = []

    async def post(new: NewMessage) -> AppendResult:
        posted.append(new)
        stored = Message(f"s{len(posted)}", new.room_id, 100 + len(posted), new.sender_id, new.sender_type,
                         new.sender_name, False, new.content, 0, new.client_msg_id, new.faq_id)  # fmt: skip
        return AppendResult(stored, created=True)

    bot = Automation(config=cache.get, presence=MemoryPresence(), post=post, clock=clock, default_threshold=80)
    return bot, posted


async def test_a_second_message_within_the_ttl_reads_nothing(store, clock, automation):
    bot, posted = automation
    store.faqs = [faq("We ship to Canada.", "canada")]
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(1, "do you ship to canada"))
    assert store.calls == {"settings": 1, "business": 1, "faqs": 1}
    clock.now += TTL - 1
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(2, "canada again"))
    assert store.total == 3
    answer = ("system:faq", "We ship to Canada.", "Acme")
    assert [(p.sender_id, p.content, p.sender_name) for p in posted] == [answer, answer]


async def test_after_the_ttl_the_next_message_reloads(store, clock, automation):
    bot, posted = automation
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(1, "canada?"))
    store.faqs = [faq("We ship to Canada.", "canada")]  # written elsewhere: unseen until the TTL
    clock.now += TTL - 1
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(2, "canada?"))
    assert posted == [] and store.total == 3
    clock.now += 1
    # stale now: this message is answered from the old entry while the reload runs behind it
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(3, "canada?"))
    assert posted == []
    await asyncio.sleep(0.01)
    assert store.total == 6
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(4, "canada?"))
    assert store.total == 6 and [p.content for p in posted] == ["We ship to Canada."]


async def test_an_entry_older_than_twice_the_ttl_is_loaded_before_answering(store, clock, automation):
    bot, posted = automation
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(1, "canada?"))
    store.faqs = [faq("We ship to Canada.", "canada")]
    clock.now += 2 * TTL
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(2, "canada?"))
    assert store.total == 6 and [p.content for p in posted] == ["We ship to Canada."]


async def test_a_failed_background_reload_drops_the_stale_entry(store, clock, cache):
    await cache.get("b1")
    clock.now += TTL
    store.settings = {"greeting": {"enabled": "yes"}}  # invalid: parse_settings refuses it
    await cache.get("b1")  # stale answer; the reload behind it fails
    await asyncio.sleep(0.01)
    assert len(cache) == 0
    with pytest.raises(Exception):  # noqa: B017 - whatever the load raised reaches the caller
        await cache.get("b1")


async def test_invalidate_drops_the_entry(store, cache, automation):
    bot, posted = automation
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(1, "hello"))
    store.settings = {"leadCapture": {"enabled": True, "message": "Your email?"}}
    cache.invalidate("b1")
    assert len(cache) == 0
    await bot.on_visitor_message(GUEST, ROOM, visitor_message(2, "hello"))
    assert store.total == 6 and [p.content for p in posted] == ["Your email?"]


async def test_twenty_concurrent_misses_make_one_load(store, cache):
    store.gate = asyncio.Event()
    waiting = [asyncio.ensure_future(cache.get("b1")) for _ in range(20)]
    await asyncio.sleep(0)
    store.gate.set()
    configs = await asyncio.gather(*waiting)
    assert store.calls == {"settings": 1, "business": 1, "faqs": 1}
    assert all(config is configs[0] for config in configs) and configs[0].name == "Acme"


async def test_a_cancelled_caller_does_not_cancel_the_load_the_others_wait_for(store, cache):
    store.gate = asyncio.Event()
    first, second = asyncio.ensure_future(cache.get("b1")), asyncio.ensure_future(cache.get("b1"))
    await asyncio.sleep(0)
    first.cancel()
    store.gate.set()
    assert (await second).name == "Acme" and first.cancelled()
    assert store.total == 3 and len(cache) == 1


async def test_a_failed_load_reaches_every_waiter_and_is_not_kept(store, cache):
    store.settings = {"greeting": {"enabled": "yes"}}  # invalid: parse_settings refuses it
    results = await asyncio.gather(cache.get("b1"), cache.get("b1"), return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results) and store.calls["settings"] == 1
    store.settings = {}
    assert (await cache.get("b1")).settings.greeting.enabled is False


async def test_a_load_under_way_when_invalidated_is_not_kept(store, cache):
    store.gate = asyncio.Event()
    stale = asyncio.ensure_future(cache.get("b1"))
    await asyncio.sleep(0)
    cache.invalidate("b1")  # a write committed while the load was reading
    store.gate.set()
    await stale
    assert len(cache) == 0
    await cache.get("b1")
    assert store.calls["settings"] == 2


async def test_ttl_zero_reads_for_every_message(store, clock, automation, cache):
    cache.ttl_ms = 0
    bot, _ = automation
    for seq in (1, 2, 3):
        await bot.on_visitor_message(GUEST, ROOM, visitor_message(seq, "hello"))
    assert store.calls == {"settings": 3, "business": 3, "faqs": 3} and len(cache) == 0


async def test_size_is_bounded_and_the_least_recently_used_goes_first(store, clock):
    cache = BusinessCache(load=lambda b: load_config(store, b), clock=clock, ttl_ms=TTL, max_entries=2)
    await cache.get("a")
    await cache.get("b")
    await cache.get("a")  # a hit: "b" is now the least recently used
    await cache.get("c")
    assert len(cache) == 2 and store.calls["settings"] == 3
    await cache.get("a")
    assert store.calls["settings"] == 3
    await cache.get("b")
    assert store.calls["settings"] == 4


async def test_an_entry_used_lately_is_reloaded_every_ttl_without_waiting_for_a_message(store, clock):
    ttl_ms = 40
    cache = BusinessCache(
        load=lambda business_id: load_config(store, business_id), clock=clock, ttl_ms=ttl_ms, keep_warm_ms=1_000
    )
    await cache.get("b1")
    assert store.total == 3
    await asyncio.sleep(ttl_ms * 1.5 / 1000)  # one TTL later (real time): reloaded behind the scenes
    assert store.total == 6
    clock.now += 2_000  # not used for longer than keep_warm_ms: the next timer lets it go cold
    await asyncio.sleep(ttl_ms * 2 / 1000)
    assert store.total == 6


async def test_reloads_and_invalidations_keep_one_keep_warm_timer_per_business(store, clock):
    ttl_ms = 80
    cache = BusinessCache(
        load=lambda business_id: load_config(store, business_id), clock=clock, ttl_ms=ttl_ms, keep_warm_ms=10_000
    )
    await cache.get("b1")
    for _ in range(3):  # loads a quarter TTL apart: each would start its own chain of reloads
        await asyncio.sleep(ttl_ms / 4 / 1000)
        cache.invalidate("b1")
        await cache.get("b1")
    assert store.total == 12
    await asyncio.sleep(ttl_ms * 1.2 / 1000)  # one TTL after the last load: one background reload
    assert store.total == 15
