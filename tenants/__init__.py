"""Tenants: the insurers and practices, their branding, program configuration and staff."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from pelvicoach.platform import mail, tenancy
    from pelvicoach.tenants import (
        admin,
        api,
        care_providers,  # noqa: F401 (its table belongs to the schema)
        cli,
        console,
        directory,
        invitations,
        mail_brand,
        services,
        views,
    )
    from pelvicoach.tenants.staff import models as staff_models  # noqa: F401 (its tables)

    tenancy.init_app(app, finder=directory.init_app(app, services.Finder()))
    mail.brand_mail(app, mail_brand.brand_of)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(invitations.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(api.bp)
    app.cli.add_command(cli.create_tenant_command)
    app.cli.add_command(cli.create_user_command)
