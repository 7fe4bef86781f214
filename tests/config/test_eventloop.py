"""EVENT_LOOP (uvloop by default where installed) and the garbage-collector tuning of `serve`."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.config import ConfigError, load_settings
from chatserver.eventloop import chosen_loop, run_loop


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_auto_prefers_uvloop_and_asyncio_is_honoured():
    assert chosen_loop("auto") == "uvloop"  # a dependency of the package on this platform
    assert run_loop(_loop_module(), "auto").startswith("uvloop")
    assert chosen_loop("asyncio") == "asyncio"
    assert run_loop(_loop_module(), "asyncio").startswith("asyncio")


def test_event_loop_setting_is_validated():
    assert load_settings({"EVENT_LOOP": "AsyncIO"}).event_loop == "asyncio"
    with pytest.raises(ConfigError):
        load_settings({"EVENT_LOOP": "trio"})


def test_tune_gc_freezes_startup_objects_and_raises_the_first_threshold():
    import gc

    from chatserver.server import GC_GEN0_THRESHOLD, tune_gc

    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold()[0] == GC_GEN0_THRESHOLD and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
