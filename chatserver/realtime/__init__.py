"""The realtime protocol adapter: the gateway's dispatch table, per-connection limits."""
