"""The protocol version this server speaks, announced in the first frame of every connection.

It names the major version of protocol.md. Additive changes (new events, new optional fields)
keep it and are listed in protocol.md's changelog; an incompatible change bumps it.
"""

from __future__ import annotations

from typing import Final

PROTOCOL_VERSION: Final = "v1"
