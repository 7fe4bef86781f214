"""The in-memory view of revoked staff tokens: read before the server serves, refreshed in the
background, and kept as it was when a refresh fails (a database blip revokes nothing and
restores nothing)."""

from __future__ import annotations

import asyncio

from chatserver.usecases.token_versions import TokenVersions


class Source:
    def __init__(self) -> None:
        self.versions: dict[str, int] = {"abc": 2}
        self.failing = False

    async def staff_token_versions(self) -> dict[str, int]:
        if self.failing:
            raise OSError("database unreachable")
        return dict(self.versions)


async def test_versions_are_read_at_start_refreshed_and_kept_through_a_failure():
    source = Source()
    versions = TokenVersions(source, poll_s=0.01)
    await versions.start()
    try:
        assert versions.required("staff-abc") == 2  # before the first tick
        assert versions.required("staff-other") == 0 and versions.required("abc") == 0
        source.failing = True
        source.versions = {}
        await asyncio.sleep(0.05)
        assert versions.required("staff-abc") == 2
        source.failing = False
        source.versions = {"abc": 3}
        await asyncio.sleep(0.05)
        assert versions.required("staff-abc") == 3
    finally:
        await versions.stop()
