"""Implementations of the ports and the transports: SQL, Redis, in-process, HTTP/WebSocket
(tornado), Prometheus metrics.
"""
