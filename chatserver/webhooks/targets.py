"""Which addresses a webhook may reach: only public internet ones, unless the deployment says
its receivers are on its own network (``WEBHOOK_ALLOW_PRIVATE_NETWORKS``).

Without this, any staff token could make the server POST to its own loopback, the cloud
metadata service or the internal network, and read the outcome from the deliveries list
(server-side request forgery). The check runs twice: at registration (a clear error for staff)
and at every connect, where the sender resolves the name through ``TargetGuard.addresses`` and
connects only to the addresses it returned. Checking at registration alone would not do: a
name's DNS answer may change afterwards (DNS rebinding).

No tornado here: ``chatserver.adapters.http.outgoing`` plugs the guard into tornado's resolver.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (family, sockaddr) as socket.getaddrinfo gives them and tornado's resolvers return them
Address = tuple[socket.AddressFamily, tuple[Any, ...]]
Resolve = Callable[[str, int, socket.AddressFamily], Awaitable[list[Address]]]

RESOLVE_TIMEOUT_S = 5.0
# RFC 6052 well-known NAT64 prefix: the last 32 bits are the IPv4 address actually reached
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")


class RefusedTarget(Exception):
    """A webhook's host is, or resolves to, an address that is not public."""


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is on the public internet. Forms that embed an IPv4 address
    (IPv4-mapped, 6to4, NAT64) are judged by the address they reach."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64_PREFIX:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
        if address.is_site_local:
            return False
    # is_global alone is not enough on Python 3.11: it counts multicast as global, and the
    # IPv6 reserved ranges (IPv4-compatible ::a.b.c.d, local-use NAT64 64:ff9b:1::/48) too
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
    )


def numeric_host(host: str) -> IPAddress | None:
    """The address a numeric host names, read the way the system resolver reads it: besides the
    canonical forms, ``inet_aton``'s (``2130706433``, ``0x7f.1``, ``017700000001``, ``127.1``)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


async def system_resolve(host: str, port: int, family: socket.AddressFamily) -> list[Address]:
    """The system resolver, off the event loop (``loop.getaddrinfo`` runs in a thread)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
    return list(dict.fromkeys((info[0], info[4]) for info in infos))


def _sockaddr(address: IPAddress, port: int) -> Address:
    if isinstance(address, ipaddress.IPv6Address):
        return socket.AF_INET6, (str(address), port, 0, 0)
    return socket.AF_INET, (str(address), port)


def _public_sockaddr(sockaddr: tuple[Any, ...]) -> bool:
    try:
        return is_public(ipaddress.ip_address(sockaddr[0]))
    except ValueError:  # not an IP address (an AF_UNIX path?): nothing we can vouch for
        return False


class TargetGuard:
    """Resolves webhook hosts and refuses non-public addresses (all of them allowed with
    ``allow_private``). ``resolve`` is injectable so tests can play a DNS that changes its answer."""

    def __init__(
        self, *, allow_private: bool = False, resolve: Resolve = system_resolve, timeout_s: float = RESOLVE_TIMEOUT_S
    ) -> None:
        self.allow_private = allow_private
        self._resolve = resolve
        self._timeout_s = timeout_s

    async def addresses(self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC) -> list[Address]:
        """Where to connect for ``host``: every address it resolves to, each one checked; if any is
        not public, none (``RefusedTarget``: a name mixing public and private answers is a
        rebinding attempt or a misconfiguration either way). Resolver failures raise ``OSError``."""
        literal = numeric_host(host)
        if literal is not None:
            # connect to the parsed address, so what is checked is what is reached
            found = [_sockaddr(literal, port)]
        else:
            async with asyncio.timeout(self._timeout_s):
                found = await self._resolve(host, port, family)
        refused = [] if self.allow_private else [str(a[0]) for _, a in found if not _public_sockaddr(a)]
        if refused:
            raise RefusedTarget(f"{host} resolves to {refused[0]}, not a public address")
        return found

    async def check(self, host: str, port: int) -> None:
        """At registration: raise ``RefusedTarget`` unless ``host`` resolves, and only to public
        addresses. Nothing to check (no lookup at all) when private networks are allowed."""
        if self.allow_private:
            return
        try:
            found = await self.addresses(host, port)
        except (OSError, TimeoutError):
            raise RefusedTarget(f"{host} does not resolve") from None
        if not found:
            raise RefusedTarget(f"{host} does not resolve")
