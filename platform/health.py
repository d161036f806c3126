"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from pelvicoach.platform.extensions import db, limiter, talisman
from pelvicoach.platform.jobs import redis_connection
from pelvicoach.platform.rls import may_cross_tenants

bp = Blueprint("health", __name__)


@cache
def expected_heads(directory: str) -> set[str]:
    """The revisions the code expects (read once per process from the shipped migrations)."""
    return set(ScriptDirectory(directory).get_heads())


@bp.get("/healthz")
@limiter.exempt
@talisman(force_https=False)
def healthz():
    """The process answers; says nothing of its dependencies on purpose, so a database outage
    does not make the orchestrator restart every web process."""
    return jsonify(status="ok")


# A role may give itself defaults (read-only transactions, a tiny statement timeout): SQL
# injected once would then break every later connection. Nothing may be set there.
OWN_ROLE_SETTINGS = text(
    "SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole"
    " WHERE r.rolname = current_user AND s.setdatabase IN"
    " (0, (SELECT oid FROM pg_database WHERE datname = current_database())))"
)


def _role_problem() -> str | None:
    """What keeps this process's database role from serving it safely, if anything."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    if db.session.scalar(text("SELECT pelvicoach_tenant()")) is None:
        return "the tenant binding does not verify (run `db upgrade` with this secret key)"
    if db.session.scalar(OWN_ROLE_SETTINGS):
        return "the role has settings of its own (ALTER ROLE ... SET): remove them"
    web = not current_app.config["PLATFORM_PROCESS"]
    production = current_app.config["PELVICOACH_MODE"] == "production"
    if web and production and may_cross_tenants(db.session.connection()):
        return "the web's role can read across tenants (use the app role)"
    return None


@bp.get("/readyz")
@limiter.exempt
@talisman(force_https=False)
def readyz():
    checks: dict[str, str] = {}
    failures: list[str] = []
    try:
        applied = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
        checks["database"] = "ok"
        problem = _role_problem()
        if problem:
            checks["database"] = "misconfigured"
            failures.append(f"database: {problem}")
        # New code on an old schema is not ready either (the migration job has not run yet).
        if applied == expected_heads(current_app.extensions["migrate"].directory):
            checks["migrations"] = "ok"
        else:
            checks["migrations"] = "behind"
            failures.append(f"migrations: database at {sorted(applied)}, code needs newer")
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
