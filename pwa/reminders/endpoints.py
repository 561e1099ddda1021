"""Push endpoints may only reach public push services (no server-side request forgery).

A subscription's endpoint is a URL the browser hands us, so whoever controls a browser controls
where the scheduler connects. Two checks:

- when the subscription is saved (`check_endpoint_url`): https to a named host; an IP address in
  any spelling (`127.1`, `2130706433`, `0x7f000001`, `[::ffff:127.0.0.1]`) or a local name is
  refused;
- when a push is sent (`pinned_session`): the host is resolved then, every address must be
  public (not loopback, private, link-local, shared, multicast, reserved, or an IPv6 form that
  embeds such an IPv4 address), and the connection goes to the address that was checked, so a
  second DNS answer cannot swap in an internal one. TLS still verifies the host's name.

Tests deliver to a push service on loopback over http: only the explicit setting
PUSH_ALLOW_ANY_HOST (off by default) lets that through, and pinning still applies.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan")
HOST_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeEndpoint(ValueError):
    pass


class Unresolved(UnsafeEndpoint):
    """The name does not resolve just now: worth trying again later."""


def failure(error: UnsafeEndpoint) -> str | tuple[str, None]:
    """A sender's outcome for a refused endpoint: permanent, or retry when DNS did not answer."""
    text = f"refused: {error}"[:300]
    return (text, None) if isinstance(error, Unresolved) else text


def literal_address(host: str) -> IPAddress | None:
    """The IP address `host` spells, in any of the forms resolvers accept; None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:  # inet_aton reads 127.1, 2130706433, 0x7f000001 and 0177.0.0.1 as IPv4, like getaddrinfo
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def is_public(address: IPAddress) -> bool:
    """Reachable on the public internet, judged on the IPv4 address an IPv6 form carries."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_unspecified
    )


def check_endpoint_url(endpoint: str, allow_any_host: bool = False) -> str:
    """The endpoint when it names a public https push service; raises UnsafeEndpoint."""
    parts = urlsplit(endpoint)
    if allow_any_host and parts.scheme in ("http", "https") and parts.hostname:
        return endpoint
    if parts.scheme != "https" or not parts.hostname:
        raise UnsafeEndpoint("endpoint must be an https URL")
    host = parts.hostname.lower()
    if literal_address(host) is not None or not HOST_NAME.match(host):
        raise UnsafeEndpoint("endpoint must name a push service")
    if host.rstrip(".") == "localhost" or host.rstrip(".").endswith(LOCAL_SUFFIXES):
        raise UnsafeEndpoint("endpoint must name a push service")
    return endpoint


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to now (tests replace this to name their own host)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def checked_address(endpoint: str, allow_any_host: bool = False) -> str:
    """The address to connect to for `endpoint`, resolved and checked now."""
    check_endpoint_url(endpoint, allow_any_host)
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except OSError as error:
        raise Unresolved(f"{host} does not resolve: {error}") from None
    if not addresses:
        raise Unresolved(f"{host} does not resolve")
    if not allow_any_host:
        for address in addresses:
            if not is_public(ipaddress.ip_address(address.split("%")[0])):
                raise UnsafeEndpoint(f"{host} resolves to {address}, which is not public")
    return addresses[0]


class PinnedAdapter(HTTPAdapter):
    """Connects to one checked address for one host name; TLS verifies that name (SNI too)."""

    def __init__(self, host: str, address: str, tls: bool) -> None:
        self.host, self.address, self.tls = host, address, tls
        super().__init__(max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        if self.tls:
            pool_kwargs["server_hostname"] = self.host
            pool_kwargs["assert_hostname"] = self.host
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        if (parts.hostname or "").lower() != self.host:
            raise requests.ConnectionError(f"refused: {parts.hostname} is not the checked host")
        address = f"[{self.address}]" if ":" in self.address else self.address
        request.url = urlunsplit(
            parts._replace(netloc=f"{address}:{parts.port}" if parts.port else address)
        )
        request.headers["Host"] = parts.netloc.rpartition("@")[2]
        return super().send(request, **kwargs)


_local = threading.local()


def pinned_session(endpoint: str, allow_any_host: bool = False) -> requests.Session:
    """A requests session that reaches `endpoint`'s host only at the address checked just now.

    Raises UnsafeEndpoint when the host is not a public push service. Sessions are kept per
    thread and per (host, address), so pushes to one service reuse their connection.
    """
    address = checked_address(endpoint, allow_any_host)
    parts = urlsplit(endpoint)
    host, tls = (parts.hostname or "").lower(), parts.scheme == "https"
    sessions = _local.__dict__.setdefault("sessions", {})
    session = sessions.get((host, address, tls))
    if session is None:
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment in front of the checked address
        adapter = PinnedAdapter(host, address, tls)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        sessions[(host, address, tls)] = session
    return session
