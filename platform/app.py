"""The application factory: the one module that sees every package's blueprints."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from pelvicoach.platform import (
    api,
    auth,
    database,
    errors,
    health,
    i18n,
    inputs,
    jobs,
    links,
    logs,
    metrics,
    operator,
    outbox,
    security,
    sessions,
    static_files,
)
from pelvicoach.platform.cli import COMMANDS
from pelvicoach.platform.config import load_settings
from pelvicoach.platform.extensions import bootstrap, csrf, db, limiter, migrate


def create_app(config: Mapping[str, Any] | None = None, *, platform: bool = False) -> Flask:
    """Build the app from `PELVICOACH_*` settings; `config` overrides Flask keys (tests).

    `platform=True` builds it for a process that does cross-tenant work (the `pelvicoach`
    commands, worker and scheduler): it connects as the platform database role."""
    settings = load_settings()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.from_mapping(settings.flask_config(platform=platform))
    if config:
        app.config.from_mapping(config)

    from pelvicoach import programs, reporting, tenants

    logs.init_app(app)  # first: every later hook may reject a request, and that gets logged too
    inputs.init_app(app)  # next: no later hook (CSRF, rate limits, tenancy) meets bad input
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(files("pelvicoach.migrations")))
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)
    security.init_app(app)
    static_files.init_app(app)
    sessions.init_app(app)
    i18n.init_app(app)
    links.init_app(app)
    errors.init_app(app)
    jobs.init_app(app)
    outbox.init_app(app)
    auth.init_app(app)
    app.register_blueprint(health.bp)
    metrics.init_app(app)
    app.register_blueprint(operator.bp)
    for command in COMMANDS:
        app.cli.add_command(command)
    api.init_app(app)
    tenants.init_app(app)
    programs.init_app(app)
    reporting.init_app(app)
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
