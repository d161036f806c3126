"""The program: content and rules, the patient portal and the clinician views."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from pelvicoach.programs import demo, seed, views

    app.register_blueprint(views.bp)
    app.cli.add_command(demo.demo_command)
    app.cli.add_command(seed.seed_command)
