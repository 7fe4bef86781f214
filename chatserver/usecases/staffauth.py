"""Staff accounts for standalone use: argon2id password hashes and a login that issues a JWT.

Externally issued tokens keep working: a login only creates one more token of the same shape
(``role: staff``, ``businessId``), signed with ``JWT_SECRET``. Hashing is CPU-bound (tens of
milliseconds by design), so it runs in a worker thread, never on the event loop.

Login attempts go through three buckets (``StaffAuth._limit``), so that guessing is slowed without
handing an attacker a way to lock staff out:

- per address (``LOGIN_ATTEMPTS_PER_IP_PER_MINUTE``): one source spraying many emails is refused;
- per email *and* address (``LOGIN_RATE_LIMIT``): one source guessing one account is refused,
  while the same account from any other address is not affected;
- per email from all addresses (``LOGIN_ATTEMPTS_PER_EMAIL_PER_MINUTE``, higher): beyond it each
  attempt waits ``SLOWDOWN_S`` before it is checked, and is then answered as usual — a
  distributed guess is slowed, the owner's correct password still works.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from chatserver.config import Settings
from chatserver.domain.business import StaffAccount
from chatserver.domain.clock import Clock
from chatserver.ports.business_store import StaffStore
from chatserver.ports.ratelimit import RateLimiter
from chatserver.ports.store import BusinessStore
from chatserver.protocol import ChatError, ErrorCode
from chatserver.usecases.tokens import issue_token
from chatserver.usecases.workflow import normalize_email

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
LOGIN_WINDOW_MS = 60_000
SLOWDOWN_S = 1.0  # the wait of an attempt beyond the per-email bound: slows guessing, locks nobody out


class StaffSource(StaffStore, BusinessStore, Protocol):
    """The slice of the store staff accounts use."""


@dataclass(frozen=True, slots=True)
class Login:
    """A successful login: the staff JWT, its lifetime in seconds, and whose it is."""

    token: str
    expires_in: int
    account: StaffAccount


class StaffAuth:
    def __init__(
        self,
        *,
        store: StaffSource,
        limiter: RateLimiter,
        settings: Settings,
        clock: Clock,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.sleep = sleep
        self.limiter = limiter
        self.settings = settings
        self.clock = clock
        self._hasher = PasswordHasher()
        self._dummy_hash: str | None = None

    async def _hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def _verify(self, password_hash: str, password: str) -> bool:
        def check() -> bool:
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(check)

    async def add_staff(self, business_id: str, email: str, name: str, password: str) -> StaffAccount:
        if await self.store.get_business(business_id) is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no such business", field="businessId")
        clean_email = normalize_email(email)
        _check_password(password)
        display = name.strip()[:100] or clean_email.split("@")[0]
        account = await self.store.create_staff(
            business_id, clean_email, display, await self._hash(password), self.clock()
        )
        if account is None:
            raise ChatError(ErrorCode.LIMIT_REACHED, "a staff account with this email exists", field="email")
        return account

    async def revoke(self, email: str, new_password: str | None = None) -> StaffAccount:
        """Every login token of the account stops working (``chatserver staff revoke``); with
        ``new_password`` the password changes in the same write, so a stolen one opens nothing."""
        password_hash = None
        if new_password is not None:
            _check_password(new_password)
            password_hash = await self._hash(new_password)
        account = await self.store.revoke_staff_tokens(normalize_email(email), password_hash)
        if account is None:
            raise ChatError(ErrorCode.NOT_FOUND, "no staff account with this email", field="email")
        return account

    async def _limit(self, email: str, address: str) -> None:
        """The three buckets of the module docstring; ``rate_limited`` from the first two, a wait
        from the third. A bucket does not count the attempts it refuses, so waiting ``retryAfterMs``
        helps (the address bucket does count one the pair bucket refuses after it)."""
        settings = self.settings
        if address and settings.login_attempts_per_ip:
            decision = await self.limiter.hit(f"login-ip:{address}", settings.login_attempts_per_ip, LOGIN_WINDOW_MS)
            if not decision.allowed:
                raise ChatError(
                    ErrorCode.RATE_LIMITED,
                    "too many login attempts from this address",
                    retry_after_ms=decision.retry_after_ms,
                )
        decision = await self.limiter.hit(f"login:{email}:{address}", settings.login_rate_limit, LOGIN_WINDOW_MS)
        if not decision.allowed:
            raise ChatError(ErrorCode.RATE_LIMITED, "too many login attempts", retry_after_ms=decision.retry_after_ms)
        decision = await self.limiter.hit(f"login-all:{email}", settings.login_attempts_per_email, LOGIN_WINDOW_MS)
        if not decision.allowed:
            await self.sleep(SLOWDOWN_S)

    async def login(self, email: Any, password: Any, address: str = "") -> Login:
        """A staff JWT for valid credentials; one vague ``auth_invalid`` for anything else.
        ``address`` is the client's (proxy headers only with ``TRUST_PROXY_HEADERS``)."""
        if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
            raise ChatError(ErrorCode.INVALID_PAYLOAD, "email and password are required", field="email")
        if len(password) > MAX_PASSWORD or len(email) > 254:
            raise ChatError(ErrorCode.AUTH_INVALID, "wrong email or password")
        if self.settings.jwt_public_key:
            raise ChatError(ErrorCode.FORBIDDEN, "login is disabled: tokens are issued externally (RS256)")
        key = email.strip().lower()
        await self._limit(key, address)
        account = await self.store.find_staff(key)
        if account is None:
            # same work as a real check, so response time does not reveal which emails exist
            if self._dummy_hash is None:
                self._dummy_hash = await self._hash("not-a-real-password")
            await self._verify(self._dummy_hash, password)
            raise ChatError(ErrorCode.AUTH_INVALID, "wrong email or password")
        if not await self._verify(account.password_hash, password):
            raise ChatError(ErrorCode.AUTH_INVALID, "wrong email or password")
        ttl = self.settings.staff_token_ttl
        extra: dict[str, Any] = {"ver": account.token_version}  # revoked by bumping the account's
        if self.settings.jwt_audience:
            extra["aud"] = self.settings.jwt_audience
        if self.settings.jwt_issuer:
            extra["iss"] = self.settings.jwt_issuer
        token = issue_token(
            self.settings.jwt_secret,
            sub=account.user_id,
            role="staff",
            name=account.name,
            business_id=account.business_id,
            ttl_s=ttl,
            extra=extra,
        )
        return Login(token, ttl, account)


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ChatError(
            ErrorCode.INVALID_PAYLOAD,
            f"password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters",
            field="password",
        )
