"""``chatserver``: serve, migrate, the operator's admin commands and the conformance suite."""

from chatserver.cli.main import main

__all__ = ["main"]
