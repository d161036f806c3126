"""Which tenant a request belongs to, and the column every tenant-owned table carries.

The tenant is resolved once per request. The `/t/<slug>/` form is handled by moving the prefix
into SCRIPT_NAME, so views are written once, without a tenant argument, and `url_for` builds links
relative to whichever form the request came in on. The tenant model itself lives in
`pelvicoach.tenants`; this ground layer only knows it through the loader registered there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from flask import Flask, abort, g
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_PREFIX = re.compile(r"^/t/([^/]+)(/.*)?$")
ENVIRON_SLUG = "pelvicoach.tenant_slug"


class TenantLike(Protocol):
    id: int
    slug: str
    name: str

    @property
    def is_active(self) -> bool: ...


TenantLoader = Callable[[str], TenantLike | None]


class TenantScoped:
    """Mixin for every tenant-owned table: composite indexes must start with `tenant_id`."""

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


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


def init_app(app: Flask, loader: TenantLoader) -> None:
    app.wsgi_app = TenantPathMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    app.extensions["pelvicoach.tenant_loader"] = loader

    @app.before_request
    def resolve_tenant() -> None:
        from flask import request

        g.tenant = None
        slug = request.environ.get(ENVIRON_SLUG)
        if slug is None:
            return
        tenant = loader(slug) if SLUG_PATTERN.match(slug) else None
        if tenant is None:
            abort(404)
        if not tenant.is_active:
            abort(403)
        g.tenant = tenant

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
