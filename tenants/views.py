"""Tenant-wide pages: the brand stylesheet and the staff landing page."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import STAFF_ROLES
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.tenants.branding import brand_stylesheet

bp = Blueprint("staff", __name__, template_folder="templates")


@bp.get("/brand.css")
def brand_css() -> Response:
    """Served as a file, not inline, so the CSP can forbid inline styles."""
    tenant = require_tenant()
    logo = url_for("static", filename=tenant.logo_path) if tenant.logo_path else None
    response = Response(brand_stylesheet(tenant.brand_color, logo), mimetype="text/css")
    response.set_etag(f"{tenant.id}-{tenant.brand_color}-{tenant.logo_path}")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)


@bp.get("/staff/")
@require_role(*STAFF_ROLES)
def home() -> str:
    require_tenant()
    return render_template("staff/home.html", user=current_user)
