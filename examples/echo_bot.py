"""A staff bot that answers every visitor message in one room: python examples/echo_bot.py ROOM_ID"""

import asyncio
import os
import sys

from chatserver.client import ChatClient


async def main(room_id: str) -> None:
    async with ChatClient(os.environ["CHAT_URL"], token=os.environ["CHAT_TOKEN"]) as bot:
        await bot.join_room(room_id=room_id)
        async for event in bot:
            if event.message and event.message.sender_type == "guest":
                await bot.send(room_id, f"You said: {event.message.content}")


asyncio.run(main(sys.argv[1]))
