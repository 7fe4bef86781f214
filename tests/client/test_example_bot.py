"""The README's bot (examples/echo_bot.py) runs as its own process and answers a guest."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from chatserver.client import Connection

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "echo_bot.py"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_echo_bot_answers_in_the_room(ws_url, business, staff_token):
    guest = await Connection.open(ws_url)
    await guest.handshake()
    room_id = (await guest.call("chat:join-room", {"businessId": business, "userName": "Visitor"}))["room"]["_id"]
    env = {**os.environ, "CHAT_URL": ws_url, "CHAT_TOKEN": staff_token}
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        room_id,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        for attempt in range(9):  # until the bot has joined (guests may send 10 a minute)
            sent = await guest.call("chat:send-message", {"roomId": room_id, "content": f"ping {attempt}"})
            try:
                reply = await guest.wait_for("chat:new-message", 2.0, senderType="staff")
            except TimeoutError:
                assert bot.returncode is None, (await bot.stderr.read()).decode() if bot.stderr else ""
                continue
            assert reply["data"]["content"].startswith("You said: ping")
            assert reply["data"]["seq"] > sent["seq"]
            break
        else:
            raise AssertionError("the bot never answered")
    finally:
        bot.terminate()
        await bot.wait()
        await guest.aclose()
