"""The interfaces the use cases depend on (store, broker, presence, rate limits, telemetry);
adapters implement them.
"""
