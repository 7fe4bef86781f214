"""All settings, in one place: environment variables (the seed's names and defaults) and CLI flags.

Each setting is declared once in ``SETTINGS``; ``chatserver serve --help`` is generated from it.
A bad value fails at start with a one-line ``ConfigError``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import partial
from typing import Any

MIN_JWT_SECRET_BYTES = 32  # RFC 7518 section 3.2: an HS256 key at least as long as the hash


class ConfigError(ValueError):
    """A setting has a value the server cannot run with."""


@dataclass(frozen=True)
class Spec:
    """One setting as the CLI, the help and ``load_settings`` see it (derived from ``Settings``)."""

    name: str  # attribute of Settings
    env: str
    default: Any
    help: str
    parse: Callable[[str], Any]
    group: str


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be zero or a positive integer")
    return value


def _percent(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 100:
        raise ValueError("must be from 0 to 100")
    return value


def _yes_no(raw: str) -> bool:
    value = raw.lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("must be true or false")


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 65535:
        raise ValueError("must be a port number from 0 to 65535")
    return value


def _jwt_secret(raw: str) -> str:
    """Refused when short, not warned about: a guessable key lets anyone sign a staff token."""
    size = len(raw.encode())
    if raw and size < MIN_JWT_SECRET_BYTES:
        raise ValueError(
            f"is {size} bytes long; it must have {MIN_JWT_SECRET_BYTES} bytes or more "
            "(RFC 7518 section 3.2), e.g. openssl rand -hex 32"
        )
    return raw


def _origins(raw: str) -> tuple[str, ...]:
    return tuple(part.strip().rstrip("/").lower() for part in raw.split(",") if part.strip())


def _db_url(raw: str) -> str:
    if not (raw.startswith("sqlite+aiosqlite://") or raw.startswith("postgresql+asyncpg://")):
        raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
    return raw


def _redis_url(raw: str) -> str:
    if raw and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("must start with redis://, rediss:// or unix://")
    return raw


def _event_loop(raw: str) -> str:
    loop = raw.lower()
    if loop not in {"auto", "uvloop", "asyncio"}:
        raise ValueError("must be one of auto, uvloop, asyncio")
    return loop


def _sqlite_synchronous(raw: str) -> str:
    level = raw.upper()
    if level not in {"FULL", "NORMAL"}:
        raise ValueError("must be FULL or NORMAL")
    return level


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
    return level


GROUPS = ("server", "storage", "auth", "guests", "limits", "automation", "webhooks")


def setting(env: str, default: Any, help: str, parse: Callable[[str], Any] = str, *, group: str) -> Any:
    """A ``Settings`` field that also carries its environment variable, help, parser and group:
    the one place a setting is declared."""
    if group not in GROUPS:
        raise ValueError(f"unknown settings group {group!r}")
    return field(default=default, metadata={"env": env, "help": help, "parse": parse, "group": group})


server = partial(setting, group="server")
storage = partial(setting, group="storage")
auth = partial(setting, group="auth")
guests = partial(setting, group="guests")
limits = partial(setting, group="limits")
automation = partial(setting, group="automation")
webhooks = partial(setting, group="webhooks")


@dataclass(frozen=True)
class Settings:
    """Every setting of the server, in the order ``chatserver serve --help`` lists them."""

    host: str = server("HOST", "", "interface to listen on; empty means all")
    port: int = server("PORT", 3000, "TCP port", _port)
    database_url: str = storage("DATABASE_URL", "sqlite+aiosqlite:///./chatserver.db", "SQLAlchemy async URL", _db_url)
    database_schema: str = storage("DATABASE_SCHEMA", "", "PostgreSQL schema (search_path) to use; empty: default")
    redis_url: str = storage(
        "REDIS_URL", "", "Redis URL for multi-instance fan-out; empty: in-process broker", _redis_url
    )
    redis_prefix: str = storage("REDIS_PREFIX", "chatserver:", "prefix of every Redis key and channel this server uses")
    jwt_secret: str = auth(
        "JWT_SECRET",
        "",
        "HS256 secret for tokens, 32 bytes or more; empty: on SQLite without REDIS_URL a generated one "
        "kept beside the database file, otherwise the server refuses to start (unless JWT_PUBLIC_KEY is set)",
        _jwt_secret,
    )
    jwt_public_key: str = auth("JWT_PUBLIC_KEY", "", "PEM public key: accept RS256 tokens (instead of HS256)")
    jwt_audience: str = auth("JWT_AUDIENCE", "", "required 'aud' claim, if set")
    jwt_issuer: str = auth("JWT_ISSUER", "", "required 'iss' claim, if set")
    guest_session_timeout: int = guests(
        "GUEST_SESSION_TIMEOUT", 7_200_000, "guest inactivity before expiry, ms", _positive_int
    )
    guest_message_rate_limit: int = guests("GUEST_MESSAGE_RATE_LIMIT", 10, "guest messages per minute", _positive_int)
    guest_max_rooms_per_session: int = guests(
        "GUEST_MAX_ROOMS_PER_SESSION", 5, "rooms one guest may open", _positive_int
    )
    guest_registrations_per_ip: int = guests(
        "GUEST_REGISTRATIONS_PER_IP_PER_MINUTE",
        60,
        "new guest sessions one IP address may start per minute; 0 disables the limit",
        _non_negative_int,
    )
    store_full_user_agent: bool = guests(
        "STORE_FULL_USER_AGENT",
        False,
        "store visitors' full User-Agent header; default: only a label such as 'Firefox 131 on Windows'",
        _yes_no,
    )
    max_message_length: int = limits("MAX_MESSAGE_LENGTH", 2000, "characters in one message", _positive_int)
    max_frame_bytes: int = limits(
        "MAX_FRAME_BYTES", 65_536, "bytes in one WebSocket frame (larger: close 1009)", _positive_int
    )
    allowed_origins: tuple[str, ...] = server(
        "ALLOWED_ORIGINS", ("*",), "comma-separated browser origins allowed; * for any", _origins
    )
    history_page: int = limits(
        "HISTORY_PAGE_SIZE", 50, "messages returned by join and history by default", _positive_int
    )
    ping_interval: int = server("WS_PING_INTERVAL", 25, "seconds between server pings; 0 disables", _non_negative_int)
    log_level: str = server("LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR", _log_level)
    event_loop: str = server(
        "EVENT_LOOP", "auto", "auto (uvloop where it is installed, else asyncio's), uvloop, or asyncio", _event_loop
    )
    faq_match_threshold: int = automation(
        "FAQ_MATCH_THRESHOLD", 80, "FAQ match score needed to answer, 0-100", _percent
    )
    guest_sweep_interval: int = guests(
        "GUEST_SWEEP_INTERVAL",
        60,
        "seconds between sweeps marking idle guest sessions expired, and between retention rounds; 0 disables both",
        _non_negative_int,
    )
    guest_data_retention_days: int = guests(
        "GUEST_DATA_RETENTION_DAYS",
        0,
        "days a guest's data is kept after their last activity in a business, then erased; a business's "
        "guestRetentionDays may only shorten it; 0: kept until erased (or the business's own setting)",
        _non_negative_int,
    )
    login_rate_limit: int = auth(
        "LOGIN_RATE_LIMIT", 10, "staff login attempts per email from one address per minute", _positive_int
    )
    login_attempts_per_ip: int = auth(
        "LOGIN_ATTEMPTS_PER_IP_PER_MINUTE",
        30,
        "staff login attempts one address may make per minute, whatever the emails; 0 disables the limit",
        _non_negative_int,
    )
    login_attempts_per_email: int = auth(
        "LOGIN_ATTEMPTS_PER_EMAIL_PER_MINUTE",
        100,
        "login attempts per email per minute from all addresses before each further one waits a second "
        "(slowed, never locked out)",
        _positive_int,
    )
    staff_token_ttl: int = auth(
        "STAFF_TOKEN_TTL", 43_200, "seconds a token from /api/auth/login is valid", _positive_int
    )
    jwt_max_lifetime: int = auth(
        "JWT_MAX_LIFETIME",
        2_592_000,
        "seconds: a token whose exp lies further ahead than this is refused (a leaked token cannot live for years)",
        _positive_int,
    )
    presence_ttl: int = storage("PRESENCE_TTL", 30, "seconds a dead instance's staff stay shown online", _positive_int)
    drain_timeout: int = server("DRAIN_TIMEOUT", 10, "seconds SIGTERM waits for in-flight requests", _positive_int)
    demo_business_id: str = server(
        "DEMO_BUSINESS_ID", "", "business the /demo page embeds when no ?businessId= is given"
    )
    webhook_concurrency: int = webhooks(
        "WEBHOOK_CONCURRENCY",
        8,
        "webhook attempts in flight on this instance; 0: this instance sends none",
        _non_negative_int,
    )
    webhook_timeout_ms: int = webhooks(
        "WEBHOOK_TIMEOUT_MS", 10_000, "ms a receiver has to answer one delivery", _positive_int
    )
    webhook_retry_base_ms: int = webhooks(
        "WEBHOOK_RETRY_BASE_MS", 10_000, "first webhook retry delay, ms (doubles)", _positive_int
    )
    webhook_retry_max_ms: int = webhooks(
        "WEBHOOK_RETRY_MAX_MS", 3_600_000, "longest webhook retry delay, ms", _positive_int
    )
    webhook_retry_window_ms: int = webhooks(
        "WEBHOOK_RETRY_WINDOW_MS",
        86_400_000,
        "ms a failing webhook delivery is retried before it is marked failed",
        _positive_int,
    )
    webhook_poll_ms: int = webhooks(
        "WEBHOOK_POLL_MS", 1000, "ms between checks for due webhook deliveries", _positive_int
    )
    webhook_retention_days: int = webhooks(
        "WEBHOOK_RETENTION_DAYS", 7, "days finished deliveries stay visible", _positive_int
    )
    webhook_allow_private_networks: bool = webhooks(
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS",
        False,
        "let webhooks reach loopback, private, link-local and other non-public addresses "
        "(receivers on the server's own network); off: refused at registration and at connect",
        _yes_no,
    )
    database_timeout: int = storage(
        "DATABASE_TIMEOUT",
        10,
        "seconds a database connect or statement may take before the request fails (unavailable)",
        _positive_int,
    )
    sqlite_synchronous: str = storage(
        "SQLITE_SYNCHRONOUS",
        "FULL",
        "SQLite only: FULL (an acknowledged message survives a power loss: every commit waits for "
        "the disk) or NORMAL (it survives a crash of the server, not of the machine)",
        _sqlite_synchronous,
    )
    max_connections_per_ip: int = limits(
        "MAX_CONNECTIONS_PER_IP",
        100,
        "open WebSockets per client address on this instance (more: close 4429); 0: no limit",
        _non_negative_int,
    )
    http_header_timeout: int = limits(
        "HTTP_HEADER_TIMEOUT",
        10,
        "seconds a connection has to send its request line and headers, however slowly they "
        "trickle in (and an idle keep-alive connection waits for the next request)",
        _positive_int,
    )
    max_half_open_per_ip: int = limits(
        "MAX_HALF_OPEN_PER_IP",
        128,
        "connections per client address whose request headers have not all arrived yet (more: "
        "closed at once); 0: no limit; not applied with TRUST_PROXY_HEADERS (the proxy is the one address)",
        _non_negative_int,
    )
    max_frames_per_second: int = limits(
        "MAX_FRAMES_PER_SECOND",
        20,
        "frames a connection may send per second, sustained (more: rate_limited); 0: no limit",
        _non_negative_int,
    )
    frame_burst: int = limits(
        "FRAME_BURST", 60, "frames a connection may send at once before the rate holds", _positive_int
    )
    max_rooms_per_connection: int = limits(
        "MAX_ROOMS_PER_CONNECTION",
        100,
        "rooms one connection may follow (more: limit_reached); 0: no limit",
        _non_negative_int,
    )
    max_opening_connections: int = limits(
        "MAX_OPENING_CONNECTIONS",
        16,
        "connections authenticated or registered at once; more wait their turn (reconnect storms)",
        _positive_int,
    )
    max_send_queue_bytes: int = limits(
        "MAX_SEND_QUEUE_BYTES",
        4 * 1024 * 1024,
        "unsent bytes a connection may hold before it is closed as a slow consumer (4408)",
        _positive_int,
    )
    trust_proxy_headers: bool = server(
        "TRUST_PROXY_HEADERS",
        False,
        "take the client address from X-Forwarded-For / X-Real-IP (only behind a proxy that sets them)",
        _yes_no,
    )


SETTINGS: tuple[Spec, ...] = tuple(
    Spec(f.name, f.metadata["env"], f.default, f.metadata["help"], f.metadata["parse"], f.metadata["group"])
    for f in fields(Settings)
)
SETTINGS_BY_NAME = {spec.name: spec for spec in SETTINGS}


def _flag(spec: Spec) -> str:
    return "--" + spec.name.replace("_", "-")


HIDDEN_VALUES = frozenset({"JWT_SECRET", "JWT_PUBLIC_KEY"})


def load_settings(env: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> Settings:
    """Environment first, then CLI overrides (raw strings, parsed like env values)."""
    values: dict[str, Any] = {}
    for spec in SETTINGS:
        raw = env.get(spec.env)
        source = spec.env
        if overrides and overrides.get(spec.name) is not None:
            raw, source = str(overrides[spec.name]), _flag(spec)
        if raw is None:
            values[spec.name] = spec.default
            continue
        try:
            values[spec.name] = spec.parse(raw.strip())
        except ValueError as exc:
            shown = "(hidden)" if spec.env in HIDDEN_VALUES else repr(raw)  # keys stay out of logs
            raise ConfigError(f"{source}={shown}: {exc}") from None
    settings = Settings(**values)
    if settings.history_page > 100:
        raise ConfigError("HISTORY_PAGE_SIZE must be at most 100")
    if settings.staff_token_ttl > settings.jwt_max_lifetime:
        raise ConfigError("STAFF_TOKEN_TTL must be at most JWT_MAX_LIFETIME: the server would refuse its own tokens")
    return settings


def add_setting_flags(parser: argparse.ArgumentParser, names: Iterable[str] | None = None) -> None:
    """One ``--flag`` per setting (or per named setting), each naming its environment variable and default."""
    chosen = set(SETTINGS_BY_NAME) if names is None else set(names)
    if unknown := chosen - SETTINGS_BY_NAME.keys():
        raise ValueError(f"no such settings: {sorted(unknown)}")
    sections = {group: parser.add_argument_group(f"{group} settings") for group in GROUPS} if names is None else {}
    for spec in SETTINGS:
        if spec.name not in chosen:
            continue
        target = sections.get(spec.group, parser)
        default = ",".join(spec.default) if isinstance(spec.default, tuple) else spec.default
        target.add_argument(
            _flag(spec),
            dest=spec.name,
            default=None,
            metavar=spec.env,
            help=f"{spec.help} [env {spec.env}, default {default!r}]",
        )
