"""Anonymized reporting: aggregation, small-cell suppression, charts, exports, reporting API."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("reports", __name__, template_folder="templates", url_prefix="/staff/reports")


def init_app(app: Flask) -> None:
    from pelvicoach.reporting import views  # noqa: F401 (its routes)

    app.register_blueprint(bp)
