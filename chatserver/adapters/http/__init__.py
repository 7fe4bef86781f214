"""Tornado handlers: the /realtime WebSocket, the REST API, health. The only package importing
tornado.
"""
