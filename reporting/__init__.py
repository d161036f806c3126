"""Anonymized reporting: aggregation, small-cell suppression, charts, exports, reporting API."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("reports", __name__, template_folder="templates", url_prefix="/staff/reports")


def init_app(app: Flask) -> None:
    from pelvicoach.platform import schedule
    from pelvicoach.reporting import (
        api,
        export_views,  # noqa: F401 (its routes)
        exports,
        facts,
        views,  # noqa: F401 (its routes)
    )
    from pelvicoach.reporting.benchmark_views import bp as benchmark_bp

    app.register_blueprint(bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(benchmark_bp)
    schedule.register(schedule.Periodic("purge-report-exports", exports.purge, every=3600))
    # Women whose data changed are counted again between reports, not all at the next one.
    schedule.register(schedule.Periodic("report-facts", facts.refresh_all, every=300))
