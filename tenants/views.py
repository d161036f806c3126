"""Tenant-wide pages: the brand stylesheet and images, and the staff landing page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import STAFF_ROLES
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.tenants import services
from pelvicoach.tenants.branding import brand_stylesheet
from pelvicoach.tenants.models import AssetKind
from pelvicoach.tenants.staff.rules import ROLE_LABELS

bp = Blueprint("staff", __name__, template_folder="templates")
A_YEAR = 365 * 24 * 3600


@bp.get("/brand.css")
def brand_css() -> Response:
    """Served as a file, not inline, so the CSP can forbid inline styles."""
    tenant = require_tenant()
    logo = (
        url_for("staff.brand_image", kind=AssetKind.LOGO, digest=tenant.logo_digest)
        if tenant.logo_digest
        else None
    )
    response = Response(
        brand_stylesheet(tenant.brand_color, tenant.accent_color, logo), mimetype="text/css"
    )
    response.set_etag(f"{tenant.id}-{tenant.brand_color}-{tenant.accent_color}-{logo}")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)


@bp.get("/brand/<any(logo, favicon):kind>-<digest>.png")
def brand_image(kind: str, digest: str) -> Response:
    """A new upload gets a new digest, so an address never changes content: cached for good."""
    tenant = require_tenant()
    asset = services.image(tenant.id, AssetKind(kind), digest)
    if asset is None:
        abort(404)
    response = Response(asset.content, mimetype=asset.mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = A_YEAR
    response.cache_control.immutable = True
    return response


@bp.get("/staff/")
@require_role(*STAFF_ROLES)
def home() -> str:
    require_tenant()
    roles = [str(ROLE_LABELS[role]) for role in sorted(current_user.roles) if role in ROLE_LABELS]
    return render_template("staff/home.html", user=current_user, roles=roles)
