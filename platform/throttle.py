"""Counting attempts at guessable secrets (passwords now; codes later) without handing out a
denial of service.

Count first, then decide: each attempt is counted atomically before the secret is checked, so
parallel requests cannot all slip under a limit, as they could when the check came before the
count. Counters live in the rate limiter's storage (Redis when configured, with its atomic
increments) and fall back to this process's memory while it is unreachable.

Against one account, a client (an address) gets a few free tries, then ever longer waits: the
limits of `PER_CLIENT` stack. The account itself is locked for everyone only after many failures
from many clients, and its owner is told by e-mail.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from pelvicoach.platform.extensions import limiter

log = logging.getLogger(__name__)

# Tries per account from one client: 5 in 15 minutes, 10 in an hour, 20 in a day.
PER_CLIENT = parse_many("5 per 15 minutes; 10 per hour; 20 per day")
# Failures against one account from everyone, and from how many clients, before it is locked.
LOCK_AFTER_FAILURES = 50
LOCK_AFTER_CLIENTS = 10
FAILURE_WINDOW = 3600  # seconds over which those failures count
LOCK_FOR = 3600  # seconds

_fallback = MemoryStorage()
T = TypeVar("T")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds, when refused
    locked: bool = False  # the account is locked for everyone, not only this client


def account_key(tenant_id: int | None, email: str) -> str:
    """Counts follow the address typed, known or not, so they reveal nothing."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]
    return f"{tenant_id or 'platform'}:{digest}"


def _counted(step: Callable[[Storage], T]) -> T:
    """Run `step` on the shared storage or, while that is unreachable, on this process's."""
    try:
        return step(limiter.storage)
    except Exception as exc:  # any client error means: unreachable
        log.warning("throttle: rate-limit storage unreachable, counting in this process: %s", exc)
        return step(_fallback)


def before_attempt(account: str, client: str) -> Verdict:
    """Count this attempt and say whether it may go ahead."""
    return _counted(lambda storage: _before_attempt(storage, account, client))


def _before_attempt(storage: Storage, account: str, client: str) -> Verdict:
    lock = f"throttle:lock:{account}"
    if storage.get(lock) > 0:
        return Verdict(False, _seconds_left(storage, lock), locked=True)
    window = MovingWindowRateLimiter(storage)
    for item in PER_CLIENT:
        if not window.hit(item, "throttle:client", account, client):
            return Verdict(False, _retry_after(window, item, account, client))
    return Verdict(True)


def succeeded(account: str, client: str) -> None:
    """The right secret: this client starts afresh."""

    def clear(storage: Storage) -> None:
        window = MovingWindowRateLimiter(storage)
        for item in PER_CLIENT:
            window.clear(item, "throttle:client", account, client)

    _counted(clear)


def failed(account: str, client: str) -> bool:
    """Note a wrong secret; True when this failure locks the account (tell the owner once)."""
    return _counted(lambda storage: _failed(storage, account, client))


def _failed(storage: Storage, account: str, client: str) -> bool:
    failures = storage.incr(f"throttle:failures:{account}", FAILURE_WINDOW)
    if storage.incr(f"throttle:seen:{account}:{client}", FAILURE_WINDOW) == 1:
        storage.incr(f"throttle:clients:{account}", FAILURE_WINDOW)
    clients = storage.get(f"throttle:clients:{account}")
    if failures < LOCK_AFTER_FAILURES or clients < LOCK_AFTER_CLIENTS:
        return False
    return storage.incr(f"throttle:lock:{account}", LOCK_FOR) == 1


def unlock(account: str) -> None:
    """The owner proved she holds the address (a password reset): let her in again."""

    def clear(storage: Storage) -> None:
        for name in ("lock", "failures", "clients"):
            storage.clear(f"throttle:{name}:{account}")

    _counted(clear)


def _seconds_left(storage: Storage, key: str) -> int:
    return max(1, math.ceil(storage.get_expiry(key) - time.time()))


def _retry_after(
    window: MovingWindowRateLimiter, item: RateLimitItem, account: str, client: str
) -> int:
    reset = window.get_window_stats(item, "throttle:client", account, client).reset_time
    return max(1, math.ceil(reset - time.time()))
