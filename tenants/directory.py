"""The tenant directory as every request reads it first: from memory, not from the database.

Each process keeps the tenants it has looked up (by slug or domain, misses too). A change to a
tenant or its domains, committed through the ORM in any process, bumps a version in Redis
before the response that made it is sent; every lookup compares that version (one Redis GET,
a fraction of the query and the ORM's work it saves) and empties its cache when it moved. So a
suspension or a setting reaches every process by the next request. An entry is never kept
beyond a minute either, for a change written past the ORM (by hand, in SQL). Without Redis (the
demo, tests) nothing is cached: no other process could be told.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from flask import Flask, current_app, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from pelvicoach.platform.jobs import redis_connection
from pelvicoach.tenants.models import Tenant, TenantDomain, TenantInfo

EXTENSION = "pelvicoach.tenant_directory"
VERSION_KEY = "pelvicoach:tenants:version"
KEEP_AT_MOST = 60.0  # seconds an entry is trusted at all
MAX_ENTRIES = 10_000  # made-up host names cannot fill the memory


class CachedFinder:
    """A `TenantFinder` in front of another, for the request hook."""

    def __init__(self, finder: Any) -> None:
        self._finder = finder
        self._entries: dict[tuple[str, str], tuple[TenantInfo | None, float]] = {}
        self._version: bytes | None = None
        self._lock = threading.Lock()

    def by_slug(self, slug: str) -> TenantInfo | None:
        return self._get(("slug", slug), lambda: self._finder.by_slug(slug))

    def by_domain(self, host: str) -> TenantInfo | None:
        return self._get(("domain", host), lambda: self._finder.by_domain(host))

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()

    def _get(self, key: tuple[str, str], load: Callable[[], TenantInfo | None]) -> Any:
        if not self._current():
            return load()
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and now - hit[1] < KEEP_AT_MOST:
            return hit[0]
        found = load()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (found, now)
        return found

    def _current(self) -> bool:
        """Whether the cache may answer: the shared version read, the cache emptied if it
        moved. False without Redis, or when it does not answer."""
        connection = redis_connection()
        if connection is None:
            return False
        try:
            version = connection.get(VERSION_KEY)
        except RedisError:
            return False
        if version != self._version:
            self.forget()
            self._version = version
        return True


def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    if any(
        isinstance(row, Tenant | TenantDomain)
        for row in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info["tenants_changed"] = True


def _forget_changed(session: Session) -> None:
    """After a commit that changed a tenant: this process's cache emptied, the others told."""
    if not session.info.pop("tenants_changed", False) or not has_app_context():
        return
    finder = current_app.extensions.get(EXTENSION)
    if finder is not None:
        finder.forget()
    connection = redis_connection()
    if connection is not None:
        with suppress(RedisError):  # else the others' entries age out within KEEP_AT_MOST
            connection.incr(VERSION_KEY)


def _drop_note(session: Session, _previous: Any) -> None:
    session.info.pop("tenants_changed", None)


def init_app(app: Flask, finder: Any) -> CachedFinder:
    """`finder` behind this app's cache, emptied by the commits that change a tenant."""
    front = CachedFinder(finder)
    app.extensions[EXTENSION] = front
    if not event.contains(FlaskSession, "after_commit", _forget_changed):
        event.listen(FlaskSession, "before_flush", _note_changes)
        event.listen(FlaskSession, "after_commit", _forget_changed)
        event.listen(FlaskSession, "after_soft_rollback", _drop_note)
    return front
