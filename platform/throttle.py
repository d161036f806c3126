"""Counting attempts at guessable secrets (passwords now; codes later) without handing out a
denial of service.

Count first, then decide: each attempt is counted atomically before the secret is checked, so
parallel requests cannot all slip under a limit, as they could when the check came before the
count. Counters live in the rate limiter's storage (Redis when configured, with its atomic
increments) and fall back to this process's memory while it is unreachable.

Against one account, a client gets a few free tries, then ever longer waits: the limits of
`PER_CLIENT` stack. A client is an IPv4 address or an IPv6 /64 (one machine's usual share);
its network (an IPv4 /24, an IPv6 /48) gets more, but bounded, so an attacker cannot multiply
tries by changing addresses within it.
The account itself is paused for everyone only after many failures from many networks (IPv4
/24s, IPv6 /48s) within an hour, and its owner is told by e-mail; even then a browser that
signed in to it before (a known device) still gets its own tries.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import current_app
from limits import RateLimitItem, RateLimitItemPerHour, parse_many
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from pelvicoach.platform.accounts import normalise_email
from pelvicoach.platform.extensions import limiter

log = logging.getLogger(__name__)

# Tries per account from one client: 5 in 15 minutes, 10 in an hour, 20 in a day; and from one
# network (many clients of one attacker), more, but not without end.
PER_CLIENT = parse_many("5 per 15 minutes; 10 per hour; 20 per day")
PER_NETWORK = parse_many("20 per 15 minutes; 40 per hour; 100 per day")
# Failures against one account within an hour, and from how many networks, before the account
# is paused for everyone but its known devices.
LOCK_AFTER_FAILURES = 50
LOCK_AFTER_NETWORKS = 10
FAILURE_WINDOW = 3600  # seconds
LOCK_FOR = 3600  # seconds
_FAILURES = RateLimitItemPerHour(LOCK_AFTER_FAILURES)
_NETWORKS = RateLimitItemPerHour(LOCK_AFTER_NETWORKS)

_fallback = MemoryStorage()
T = TypeVar("T")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds, when refused
    locked: bool = False  # the account is paused for everyone, not only this client
    first_refusal: bool = False  # the first refusal of this client in this window: audit it


def account_key(tenant_id: int | None, email: str) -> str:
    """Counts follow the address typed, known or not, so they reveal nothing; keyed with the
    app's secret, so neither the counters nor a known-device cookie tell which address."""
    secret = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(secret, normalise_email(email).encode(), hashlib.sha256).hexdigest()
    return f"{tenant_id or 'platform'}:{mac[:24]}"


def client_key(address: str | None) -> str:
    """The client to throttle: an IPv4 address, or the IPv6 /64 it is in."""
    return _network(address, 32, 64)


def network_key(address: str | None) -> str:
    """The network of a client: an IPv4 /24 or an IPv6 /48."""
    return _network(address, 24, 48)


def _network(address: str | None, v4_prefix: int, v6_prefix: int) -> str:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "-"
    if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:a.b.c.d from a dual-stack listener
        ip = ip.ipv4_mapped
    prefix = v4_prefix if ip.version == 4 else v6_prefix
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _counted(step: Callable[[Storage], T]) -> T:
    """Run `step` on the shared storage or, while that is unreachable, on this process's."""
    try:
        return step(limiter.storage)
    except Exception as exc:  # any client error means: unreachable
        log.warning("throttle: rate-limit storage unreachable, counting in this process: %s", exc)
        return step(_fallback)


def before_attempt(account: str, address: str | None, *, known_device: bool = False) -> Verdict:
    """Count this attempt and say whether it may go ahead."""
    return _counted(lambda storage: _before_attempt(storage, account, address, known_device))


def _before_attempt(
    storage: Storage, account: str, address: str | None, known_device: bool
) -> Verdict:
    client = client_key(address)
    lock = f"throttle:lock:{account}"
    if storage.get(lock) > 0 and not known_device:
        wait = _until(storage.get_expiry(lock))
        return Verdict(False, wait, True, _first(storage, lock, client))
    window = MovingWindowRateLimiter(storage)
    limits = [(item, "throttle:client", client) for item in PER_CLIENT]
    limits += [(item, "throttle:network", network_key(address)) for item in PER_NETWORK]
    for item, kind, who in limits:
        if not window.hit(item, kind, account, who):
            wait = window.get_window_stats(item, kind, account, who).reset_time
            refused = f"throttle:refused:{account}:{kind}:{item}"
            return Verdict(False, _until(wait), False, _first(storage, refused, client))
    return Verdict(True)


def succeeded(account: str, address: str | None) -> None:
    """The right secret: this client starts afresh."""

    def clear(storage: Storage) -> None:
        window = MovingWindowRateLimiter(storage)
        for item in PER_CLIENT:
            window.clear(item, "throttle:client", account, client_key(address))

    _counted(clear)


def failed(account: str, address: str | None) -> bool:
    """Note a wrong secret; True when this failure pauses the account (tell the owner once)."""
    return _counted(lambda storage: _failed(storage, account, address))


def _failed(storage: Storage, account: str, address: str | None) -> bool:
    # Moving windows over the last hour; an unlock starts new ones (the epoch).
    window = MovingWindowRateLimiter(storage)
    epoch = str(storage.get(f"throttle:epoch:{account}"))
    many_failures = _reached(window, _FAILURES, "throttle:failures", account, epoch)
    network = f"throttle:seen:{account}:{epoch}:{network_key(address)}"
    if storage.incr(network, FAILURE_WINDOW) == 1:  # the first failure from this network
        many_networks = _reached(window, _NETWORKS, "throttle:networks", account, epoch)
    else:
        stats = window.get_window_stats(_NETWORKS, "throttle:networks", account, epoch)
        many_networks = stats.remaining == 0
    if not (many_failures and many_networks):
        return False
    return storage.incr(f"throttle:lock:{account}", LOCK_FOR) == 1


def _reached(window: MovingWindowRateLimiter, item: RateLimitItem, *keys: str) -> bool:
    """Count one more in `item`'s moving window; whether it is full now."""
    return not window.hit(item, *keys) or window.get_window_stats(item, *keys).remaining == 0


def unlock(account: str) -> None:
    """The owner proved she holds the address (a password reset): let her in again, and count
    failures afresh."""

    def clear(storage: Storage) -> None:
        storage.clear(f"throttle:lock:{account}")
        storage.incr(f"throttle:epoch:{account}", 86400)

    _counted(clear)


def _first(storage: Storage, key: str, client: str) -> bool:
    """Whether this is the first refusal of `client` under `key` (for one audit row each)."""
    return storage.incr(f"{key}:{client}", FAILURE_WINDOW) == 1


def _until(moment: float) -> int:
    return max(1, math.ceil(moment - time.time()))
