"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from pelvicoach.platform.extensions import db, limiter
from pelvicoach.platform.jobs import redis_connection

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """The process answers; says nothing of its dependencies on purpose, so a database outage
    does not make the orchestrator restart every web process."""
    return jsonify(status="ok")


@bp.get("/readyz")
@limiter.exempt
def readyz():
    checks: dict[str, str] = {}
    failures: list[str] = []
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means: not ready
        db.session.rollback()
        checks["database"] = "unavailable"
        failures.append(f"database: {type(exc).__name__}")
        current_app.logger.warning("readiness: database unavailable: %s", exc)
    connection = redis_connection()
    if connection is None:
        checks["redis"] = "not configured"
    else:
        try:
            connection.ping()
            checks["redis"] = "ok"
        except Exception as exc:  # any client error means: not ready
            checks["redis"] = "unavailable"
            failures.append(f"redis: {type(exc).__name__}")
    if failures:
        return jsonify(status="unavailable", reason="; ".join(failures), checks=checks), 503
    return jsonify(status="ok", checks=checks)
