"""Tenants: the insurers and practices, their branding, program configuration and staff."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from pelvicoach.platform import tenancy
    from pelvicoach.tenants import cli, services, views

    tenancy.init_app(app, loader=services.get_by_slug)
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.create_tenant_command)
    app.cli.add_command(cli.create_user_command)
