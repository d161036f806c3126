"""The program: content and rules, the patient portal and the clinician views."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from pelvicoach.platform.access import register_policy
    from pelvicoach.programs import (
        api,  # noqa: F401 (adds its routes to the API blueprint)
        clinician,
        demo,
        seed,
        services,
        views,
    )
    from pelvicoach.programs.models import Patient

    register_policy(Patient, services.patient_policy)
    app.register_blueprint(views.bp)
    app.register_blueprint(clinician.bp)
    app.cli.add_command(demo.demo_command)
    app.cli.add_command(seed.seed_command)
