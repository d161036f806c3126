"""Which tenant a request (or job) belongs to, and the guards that keep tenants apart.

Isolation in depth, layer 1: the tenant is resolved once per request (custom domain,
`<slug>.<base domain>`, or the `/t/<slug>/` path prefix) and held in a context variable. Every ORM
SELECT then gets `tenant_id = <current>` added for tenant-owned models, and a flush refuses a row
of another tenant. Layer 2 (PostgreSQL row-level security, `pelvicoach.platform.rls`) reads the
same tenant from a per-transaction setting that this module writes, signed so that nobody
without the app's secret key can name another tenant there.

The `/t/<slug>/` form is handled by moving the prefix into SCRIPT_NAME, so views are written once,
without a tenant argument, and `url_for` builds links relative to whichever form the request came
in on. The tenant model itself lives in `pelvicoach.tenants`; this ground layer only knows it
through the finder registered there.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

from flask import Flask, abort, current_app, g, request, url_for
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Executable, ForeignKey, bindparam, event, text
from sqlalchemy.exc import DBAPIError, PendingRollbackError
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    mapped_column,
    scoped_session,
    with_loader_criteria,
)

log = logging.getLogger(__name__)
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_PREFIX = re.compile(r"^/t/([^/]+)(/.*)?$")
ENVIRON_SLUG = "pelvicoach.tenant_slug"

# Execution option for the few reads of routing data that precede knowing the tenant (custom
# domains); row-level security has a matching read-only policy for those tables.
PUBLIC_READ = "pelvicoach_public_read"

# Answer on any host: probes from load balancers and orchestrators, and metrics scrapers, come
# by IP address. They build no links and belong to no tenant.
HOSTLESS_ENDPOINTS = frozenset({"health.healthz", "health.readyz", "metrics.metrics"})
DOMAIN_NAME = re.compile(r"(?=.{1,253}\Z)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")

_tenant_id: ContextVar[int | None] = ContextVar("pelvicoach_tenant_id", default=None)
# While a request looks for its tenant (in the directory, readable unbound), its transaction is
# not bound yet: it is bound once, to the tenant or the platform, when the search is over.
_resolving: ContextVar[bool] = ContextVar("pelvicoach_resolving", default=False)
_cross_tenant: ContextVar[bool] = ContextVar("pelvicoach_cross_tenant", default=False)


class TenantLike(Protocol):
    """What a request holds of its tenant: a value read once at the start, not a database row,
    so nothing later in the request (an error page, a log line) reloads it."""

    id: int
    slug: str
    name: str

    @property
    def is_active(self) -> bool: ...


class TenantFinder(Protocol):
    def by_slug(self, slug: str) -> TenantLike | None: ...

    def by_domain(self, host: str) -> TenantLike | None: ...


class TenantMismatchError(RuntimeError):
    """A write of one tenant's row while working for another: always a bug, never user input."""


class TenantScoped:
    """Mixin for every tenant-owned table: composite indexes must start with `tenant_id`."""

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


class PlatformOrTenantScoped(TenantScoped):
    """Mixin for rows of a tenant or, for the platform operator and platform work, of none:
    accounts, their codes and tokens, mails, jobs. Row-level security shows tenant-less rows
    only when no tenant is set."""

    tenant_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("tenants.id", ondelete="CASCADE")
    )


def same_tenant(column: Any, tenant_id: int | None) -> Any:
    """`column` names this tenant, or no tenant at all (the platform's own rows) when None."""
    return column.is_(None) if tenant_id is None else column == tenant_id


def current_tenant_id() -> int | None:
    return _tenant_id.get()


def _apply_to_transaction(session: Session | scoped_session, *, failed: bool = False) -> None:
    """Write the tenant into the open PostgreSQL transaction, for row-level security.

    On the way out of a context that failed, the transaction may have failed already; it will
    be rolled back, settings and all, so a second error must not hide the first. Out of one
    that did not, an error here is the first (a connection the server just cut): it goes up,
    as the database being unavailable, and is not left for the commit to find as a rollback
    pending."""
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        try:
            bind_current(session.connection())
        except (DBAPIError, PendingRollbackError):  # the latter: its connection was lost
            if not failed:
                raise


def binding_key(secret_key: str) -> bytes:
    """The key that signs a transaction's tenant, derived from the app's secret key (and
    written by `db upgrade` where only the database owner can read it)."""
    return hmac.new(secret_key.encode(), b"pelvicoach tenant binding", hashlib.sha256).digest()


def bind(connection: Any, tenant_id: int | None, key: bytes, *, cross: bool = False) -> None:
    """Name the transaction's tenant (None: the platform) for row-level security.

    The value carries a MAC over the tenant and the database backend's process id, checked by
    the owner-defined function `pelvicoach_tenant()` that every policy calls. SQL injected into
    a web request cannot forge it (it has no key), nor replay one from another connection."""
    context = "platform" if tenant_id is None else str(tenant_id)
    pid = connection.connection.dbapi_connection.info.backend_pid
    mac = hmac.new(key, f"{context}:{pid}".encode(), hashlib.sha256).hexdigest()
    connection.execute(
        text(
            "SELECT set_config('app.tenant', :binding, true),"
            " set_config('app.cross_tenant', :cross, true)"
        ),
        {"binding": f"{context}:{mac}", "cross": "on" if cross else "off"},
    )


def bind_current(connection: Any) -> None:
    """Name the current tenant (or the platform) in `connection`'s open transaction."""
    key = current_app.extensions.get("pelvicoach.binding_key")
    if key is None:
        key = binding_key(current_app.config["SECRET_KEY"])
        current_app.extensions["pelvicoach.binding_key"] = key
    bind(connection, _tenant_id.get(), key, cross=_cross_tenant.get())


@contextmanager
def tenant_context(tenant_id: int | None, session: Session | None = None) -> Iterator[None]:
    """Work as `tenant_id` (jobs, commands, tests): queries and writes see that tenant only,
    even inside a cross-tenant block. With a session, what was added inside is flushed before
    the block ends, so it is written as this tenant and not, at a later flush, as another."""
    # Already this tenant's (a request's audit event, its outbox job): the transaction is bound
    # to it, and binding it again, in and out, would be two round trips for nothing.
    rebind = session is not None and (
        tenant_id != _tenant_id.get() or _cross_tenant.get() or _resolving.get()
    )
    token = _tenant_id.set(tenant_id)
    cross_token = _cross_tenant.set(False)
    if rebind:
        _apply_to_transaction(session)
    failed = True
    try:
        yield
        if session is not None:
            session.flush()
        failed = False
    finally:
        _tenant_id.reset(token)
        _cross_tenant.reset(cross_token)
        if rebind:
            _apply_to_transaction(session, failed=failed)


@contextmanager
def cross_tenant(session: Session | scoped_session, reason: str) -> Iterator[None]:
    """See every tenant's rows: the one explicit door past isolation, for platform work (the
    outbox relay, audit verification, seeding). Every use is logged with its reason; where a
    person is behind it, the caller also writes an audit event.

    The ORM's tenant filter steps aside here; in PostgreSQL only the owner and the platform
    role honour the setting this writes, so in a web process (the app role) the block still
    sees one tenant, or the platform's own rows."""
    log.info("cross-tenant access: %s", reason)
    token = _cross_tenant.set(True)
    _apply_to_transaction(session)
    failed = True
    try:
        yield
        session.flush()
        failed = False
    finally:
        _cross_tenant.reset(token)
        _apply_to_transaction(session, failed=failed)


# The ORM's tenant filter, made once: the tenant goes in as a parameter of each execution, so
# no statement is rebuilt for it (a criteria lambda closing over the tenant was run again for
# every table of every statement, to find its value: 5% of her home page's time).
TENANT_PARAMETER = "pelvicoach_tenant"  # as in _OF_TENANT's lambda
_OF_TENANT = with_loader_criteria(
    TenantScoped,
    # The name written out: the criteria lambda would wrap a module global in a tracker.
    lambda cls: cls.tenant_id == bindparam("pelvicoach_tenant"),
    include_aliases=True,
    track_closure_variables=False,
)
_OF_PLATFORM = with_loader_criteria(
    TenantScoped,
    lambda cls: cls.tenant_id.is_(None),
    include_aliases=True,
    track_closure_variables=False,
)


Statement = TypeVar("Statement", bound=Executable)


def filtered_by_tenant(statement: Statement) -> Statement:
    """A statement built once per process, with the ORM's tenant filter already in it: the
    filter added at each execution made a new statement, whose cache key (a walk over the
    whole statement) was then computed again, a fifth of a millisecond for a large one."""
    return statement.options(_OF_TENANT)


def _filter_by_tenant(state: ORMExecuteState) -> None:
    """Safety net: every ORM SELECT of a tenant-owned model gets `tenant_id = <current>`, or,
    with no tenant set, `tenant_id IS NULL`: the same rule row-level security applies, so the
    SQLite demo (which has none) behaves as PostgreSQL does."""
    if _cross_tenant.get() or not state.is_select or state.execution_options.get(PUBLIC_READ):
        return
    tenant_id = _tenant_id.get()
    if tenant_id is None:
        state.statement = state.statement.options(_OF_PLATFORM)
        return
    if _OF_TENANT not in state.statement._with_options:
        state.statement = state.statement.options(_OF_TENANT)
    state.parameters = {**(state.parameters or {}), TENANT_PARAMETER: tenant_id}


def _check_tenant(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse to write another tenant's row; stamp new rows with the current tenant."""
    tenant_id = _tenant_id.get()
    if tenant_id is None or _cross_tenant.get():
        return
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if not isinstance(obj, TenantScoped):
            continue
        if obj.tenant_id is None and obj in session.new:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise TenantMismatchError(
                f"{type(obj).__name__} of tenant {obj.tenant_id} written as tenant {tenant_id}"
            )


def _begin_with_tenant(_session: Session, _transaction: Any, connection: Any) -> None:
    # Every transaction names its tenant, or the platform: unbound, it sees the directory only.
    if connection.dialect.name == "postgresql" and not _resolving.get():
        bind_current(connection)


class TenantPathMiddleware:
    """Move a leading `/t/<slug>` into SCRIPT_NAME and remember the slug for the request."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        match = _PREFIX.match(environ.get("PATH_INFO", ""))
        if match:
            slug, rest = match.group(1), match.group(2) or "/"
            environ[ENVIRON_SLUG] = slug
            environ["SCRIPT_NAME"] = f"{environ.get('SCRIPT_NAME', '')}/t/{slug}"
            environ["PATH_INFO"] = rest
        return self.wsgi_app(environ, start_response)


def _host_name() -> str:
    """The request's host name without port or IPv6 brackets; "" when Werkzeug found the Host
    header malformed."""
    host = request.host.lower()
    if host.startswith("["):
        return host[1 : host.find("]")]
    return host.rsplit(":", 1)[0]


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _resolve(finder: TenantFinder) -> TenantLike | None:
    """Custom domain, then `<slug>.<base domain>`, then the path prefix.

    Only configured hosts are served: the base domain, its tenant sub-domains and the custom
    domains in the tenant directory; in the local demo also localhost and loopback addresses.
    Any other Host header (an IP address included) gets a 404, so links built for a request
    can only ever point at a known origin. Health probes, which arrive by IP address, are let
    through before this (`HOSTLESS_ENDPOINTS`)."""
    host = _host_name()
    base = current_app.config["BASE_DOMAIN"]
    path_slug = request.environ.get(ENVIRON_SLUG)
    tenant = None
    if host == base or (current_app.config["PELVICOACH_MODE"] == "demo" and _is_local(host)):
        pass  # the platform itself, or a tenant by its path
    elif host.endswith("." + base):
        slug = host.removesuffix("." + base)
        tenant = finder.by_slug(slug) if SLUG_PATTERN.match(slug) else None
        if tenant is None:
            abort(404)
    else:
        tenant = finder.by_domain(host) if DOMAIN_NAME.fullmatch(host) else None
        if tenant is None:
            abort(404)
    if path_slug is not None:
        if tenant is not None and tenant.slug != path_slug:
            abort(404)  # one host, one tenant: never serve another tenant's path through it
        tenant = finder.by_slug(path_slug) if SLUG_PATTERN.match(path_slug) else None
        if tenant is None:
            abort(404)
    g.site_host = host
    return tenant


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link to a page of this request's site, for e-mails and other messages.

    Built from the host the request was resolved on, which by then is a configured origin
    (base domain, tenant sub-domain, or a custom domain of the tenant directory), never an
    unknown Host header."""
    return _absolute(g.site_host, url_for(endpoint, **values))


def tenant_site_url(slug: str, endpoint: str, **values: Any) -> str:
    """An absolute link into a tenant's site from outside it (the operator's console inviting
    a tenant's first admin): its sub-domain in production, its `/t/<slug>` path elsewhere."""
    path = url_for(endpoint, **values)
    if current_app.config["PELVICOACH_MODE"] == "production":
        return _absolute(f"{slug}.{current_app.config['BASE_DOMAIN']}", path)
    return _absolute(g.site_host, f"/t/{slug}{path}")


def worker_site_url(slug: str, endpoint: str, **values: Any) -> str:
    """An absolute link into a tenant's site (path form on the base domain) from a job, where
    no request names a host."""
    config = current_app.config
    base = f"{config['PREFERRED_URL_SCHEME']}://{config['BASE_DOMAIN']}/t/{slug}/"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def _absolute(host: str, path: str) -> str:
    """Production links use HTTPS on its default port; elsewhere the request's scheme and port
    are kept, as development servers listen on a port of their own."""
    host = f"[{host}]" if ":" in host else host  # an IPv6 demo address
    if current_app.config["PELVICOACH_MODE"] == "production":
        return f"https://{host}{path}"
    port = request.host.rpartition(":")[2]
    return f"{request.scheme}://{host}{':' + port if port.isdigit() else ''}{path}"


def init_app(app: Flask, finder: TenantFinder) -> None:
    app.wsgi_app = TenantPathMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    if not event.contains(FlaskSession, "before_flush", _check_tenant):
        event.listen(FlaskSession, "do_orm_execute", _filter_by_tenant)
        event.listen(FlaskSession, "before_flush", _check_tenant)
        event.listen(FlaskSession, "after_begin", _begin_with_tenant)

    @app.before_request
    def resolve_tenant() -> None:
        from pelvicoach.platform.extensions import db

        g.tenant = None
        if request.endpoint in HOSTLESS_ENDPOINTS:
            return
        resolving = _resolving.set(True)
        try:
            tenant = _resolve(finder)
        finally:
            _resolving.reset(resolving)
        if tenant is not None:
            if not tenant.is_active:
                abort(403)
            g.tenant = tenant
            g.tenant_token = _tenant_id.set(tenant.id)
        _apply_to_transaction(db.session())

    @app.teardown_request
    def forget_tenant(_exc: BaseException | None) -> None:
        token = g.pop("tenant_token", None)
        if token is not None:
            _tenant_id.reset(token)

    @app.context_processor
    def inject_tenant() -> dict[str, Any]:
        return {"tenant": g.get("tenant")}


def current_tenant() -> TenantLike | None:
    return g.get("tenant")


def require_tenant() -> TenantLike:
    """For views that only exist inside a tenant: outside one they do not exist at all."""
    tenant = current_tenant()
    if tenant is None:
        abort(404)
    return tenant
