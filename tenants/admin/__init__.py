"""The tenant admin console: branding, staff, API keys. One blueprint, a module per page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "admin", __name__, template_folder="templates", static_folder="static", url_prefix="/admin"
)

from pelvicoach.tenants.admin import branding, keys, providers, staff  # noqa: E402, F401 (their routes)
