"""State shared by every instance: rate limits and staff presence, kept in Redis.

The interfaces and in-process implementations live in the domain (``chat/ratelimit.py``,
``chat/presence.py``); the Redis ones live here, in modules named ``redis_*`` (with
``broker/redis.py``, the only modules that import redis).
"""
