"""The application factory: the one module that sees every package's blueprints."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from flask import Flask

from pelvicoach.platform import auth, errors, health, i18n, jobs, logs, security
from pelvicoach.platform.cli import worker_command
from pelvicoach.platform.config import load_settings
from pelvicoach.platform.extensions import bootstrap, csrf, db, limiter, migrate


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from `PELVICOACH_*` settings; `config` overrides Flask keys (tests)."""
    settings = load_settings()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.from_mapping(settings.flask_config())
    if config:
        app.config.from_mapping(config)

    from pelvicoach import programs, tenants

    db.init_app(app)
    migrate.init_app(app, db, directory=str(files("pelvicoach.migrations")))
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)
    security.init_app(app)
    logs.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    jobs.init_app(app)
    auth.init_app(app)
    app.register_blueprint(health.bp)
    app.cli.add_command(worker_command)
    tenants.init_app(app)
    programs.init_app(app)
    return app
