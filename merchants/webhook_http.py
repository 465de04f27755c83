"""Sending one webhook: where it may go (the SSRF guard), how it is signed, the POST itself.

An endpoint's address must be ``https`` and every address its host name resolves to must be a
public one: never loopback, private, shared, link-local, multicast, reserved, unspecified or a
cloud metadata address. The check runs when the endpoint is saved and again before each
delivery, and the request then goes to the address that was checked (the host name is kept for
the ``Host`` header, SNI and the certificate check), so a name that resolves elsewhere the second
time (DNS rebinding) cannot slip through. ``WEBHOOK_ALLOW_PRIVATE_URLS`` lifts everything but the
metadata addresses, and allows plain ``http``, for development and tests.

No proxy from the environment is used: the connection goes where the guard said.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services answer on these whatever else is allowed: AWS, GCP, Azure, Oracle
# and OpenStack (169.254.169.254), AWS ECS tasks (169.254.170.2), Alibaba Cloud (100.100.100.200),
# AWS over IPv6 (fd00:ec2::254).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# What one failed response may leave in ``last_error``.
SNIPPET_BYTES = 300


class UnsafeWebhookURL(ValueError):
    """The address is not one a webhook may go to. Permanent: retrying changes nothing."""


class WebhookNetworkError(Exception):
    """The receiver could not be reached or did not answer in time. May pass: retry."""

    def __init__(self, message: str, *, latency_ms: int | None = None) -> None:
        super().__init__(message)
        self.latency_ms = latency_ms


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_is_forbidden(address: Address, *, allow_private: bool = False) -> bool:
    """Whether a webhook must not be sent to ``address``."""
    address = ipaddress.ip_address(str(address).split("%", 1)[0])  # drop an IPv6 scope
    embedded = _embedded_ipv4(address)
    if embedded is not None and address_is_forbidden(embedded, allow_private=allow_private):
        return True
    if address in METADATA_ADDRESSES:
        return True
    if allow_private:
        return False
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        # Shared address space (100.64.0.0/10) and the rest of what is not routed publicly.
        or not address.is_global
    )


@dataclass(frozen=True, slots=True)
class Target:
    """Where one request goes: the checked address, and the names to present there."""

    scheme: str
    host: str  # the host name (or literal) of the URL, for SNI and the certificate
    port: int
    host_header: str
    path: str
    address: str | None  # the checked address to connect to; None when not resolved


def _parse(url: str, *, allow_private: bool) -> tuple[str, str, int, str, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeWebhookURL(_("The address is not a valid URL.")) from error
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeWebhookURL(_("The address must start with https://."))
    if not parts.hostname:
        raise UnsafeWebhookURL(_("The address needs a host name."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeWebhookURL(_("The address may not contain a user name or password."))
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, parts.hostname, port, parts.netloc, path


def _resolve(host: str, port: int) -> list[Address]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        raise WebhookNetworkError(
            _("The host name %(host)s could not be resolved.") % {"host": host}
        ) from error
    addresses = list(
        dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos)
    )
    if not addresses:
        raise WebhookNetworkError(
            _("The host name %(host)s could not be resolved.") % {"host": host}
        )
    return addresses


def webhook_target(url: str, *, resolve: bool = True) -> Target:
    """Check ``url`` and, with ``resolve``, every address its host resolves to; answer where to
    connect. Raises UnsafeWebhookURL for an address a webhook may not go to, and
    WebhookNetworkError when the host name does not resolve (now)."""
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_URLS
    scheme, host, port, netloc, path = _parse(url, allow_private=allow_private)
    if not resolve:
        return Target(scheme, host, port, netloc, path, None)
    addresses = _resolve(host, port)
    if any(address_is_forbidden(a, allow_private=allow_private) for a in addresses):
        raise UnsafeWebhookURL(
            _("The address points to a private, local or reserved network.")
            if not allow_private
            else _("The address points to a cloud metadata service.")
        )
    return Target(scheme, host, port, netloc, path, str(addresses[0]))


def webhook_url_check(url: str) -> None:
    """The check an endpoint's address passes when it is saved. Raises UnsafeWebhookURL.

    A host name that does not resolve is refused too, unless private addresses are allowed
    (development machines may well be offline)."""
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_URLS
    try:
        webhook_target(url, resolve=not allow_private)
    except WebhookNetworkError as error:
        raise UnsafeWebhookURL(str(error)) from error


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Belt-Ops-Signature`` header: ``t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<body>">``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    status: int
    latency_ms: int
    snippet: str  # the start of the body of a response that was not 2xx


def webhook_post(*, url: str, body: bytes, headers: dict[str, str]) -> WebhookResponse:
    """POST ``body`` to ``url`` through the guard, within ``WEBHOOK_TIMEOUT`` seconds, without
    following redirects. Raises UnsafeWebhookURL (permanent) or WebhookNetworkError (transient:
    no connection, a reset, a timeout)."""
    target = webhook_target(url)
    timeout = urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT)
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, maxsize=1)
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": target.host_header},
            retries=False,
            redirect=False,
            timeout=timeout,
            preload_content=False,
            assert_same_host=False,
        )
        latency_ms = round((time.monotonic() - started) * 1000)
        snippet = b""
        if not 200 <= response.status < 300:
            snippet = response.read(SNIPPET_BYTES, decode_content=False) or b""
        response.release_conn()
    except (urllib3.exceptions.HTTPError, OSError) as error:
        # Connection refused or reset, TLS failures, timeouts: urllib3 raises the original
        # error when retries are off.
        elapsed = round((time.monotonic() - started) * 1000)
        raise WebhookNetworkError(
            _("%(error)s after %(ms)s ms: %(detail)s")
            % {"error": type(error).__name__, "ms": elapsed, "detail": str(error)[:300]},
            latency_ms=elapsed,
        ) from error
    finally:
        pool.close()
    return WebhookResponse(response.status, latency_ms, snippet.decode("utf-8", "replace").strip())
