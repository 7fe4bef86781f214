"""Where the suite gets tokens: signed with the server's HS256 secret, or printed by a command.

A token command is run as ``<command> --role R --name N --sub S --ttl SECONDS [--business B]``
and must print the token on its last line; ``chatserver token`` follows this contract.
"""

from __future__ import annotations

import asyncio
import shlex
import time
import warnings
from typing import Any

import jwt


class TokenError(RuntimeError):
    """The token command failed or printed nothing."""


class TokenSource:
    def __init__(self, *, secret: str | None = None, command: str | None = None) -> None:
        if not secret and not command:
            raise ValueError("a JWT secret or a token command is needed")
        self.secret = secret or None
        self.command = command or None

    @property
    def can_sign(self) -> bool:
        """Whether arbitrary claims can be signed (only with the secret)."""
        return self.secret is not None

    async def issue(self, role: str, name: str, sub: str, *, business: str | None = None, ttl: int = 3600) -> str:
        if self.secret is not None:
            claims: dict[str, Any] = {"sub": sub, "role": role, "name": name, "exp": int(time.time()) + ttl}
            if business is not None:
                claims["businessId"] = business
            return self.sign(claims)
        assert self.command is not None
        args = [*shlex.split(self.command), "--role", role, "--name", name, "--sub", sub, "--ttl", str(ttl)]
        if business is not None:
            args += ["--business", business]
        process = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await process.communicate()
        lines = out.decode().strip().splitlines()
        if process.returncode != 0 or not lines:
            raise TokenError(f"token command exited {process.returncode}: {err.decode().strip()[:200]}")
        return lines[-1].strip()

    def sign(self, claims: dict[str, Any], *, algorithm: str = "HS256", key: str | None = None) -> str:
        """Sign any claims with the server's secret (or ``key``). Needs ``--jwt-secret``."""
        signing_key = key if key is not None else self.secret
        if signing_key is None:
            raise TokenError("signing arbitrary tokens needs --jwt-secret")
        with warnings.catch_warnings():  # a short secret for HS512 is the point of one case
            warnings.simplefilter("ignore")
            return jwt.encode(claims, signing_key, algorithm=algorithm)
