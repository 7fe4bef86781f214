"""chatserver: customer-support chat for guests, customers and staff over a JSON WebSocket protocol."""

__version__ = "0.1.0"
PROTOCOL_VERSION = "v1"
