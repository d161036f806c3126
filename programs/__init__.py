"""The program: content and its versions, enrolment, intake, the patient portal and the
clinician views. Feature packages hold models and services; `portal`, `clinician` and `api`
hold the blueprints, and no feature package imports them."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from pelvicoach.platform import schedule
    from pelvicoach.platform.access import register_policy
    from pelvicoach.programs import api, demo, seed
    from pelvicoach.programs.audio import models as _audio  # noqa: F401 (tables)
    from pelvicoach.programs.care.services import patient_policy
    from pelvicoach.programs.clinician import bp as clinician
    from pelvicoach.programs.configuration.cli import program_command
    from pelvicoach.programs.desk import bp as desk
    from pelvicoach.programs.diary import models as _diary  # noqa: F401
    from pelvicoach.programs.editor import bp as editor
    from pelvicoach.programs.enrolment import codes, retention
    from pelvicoach.programs.enrolment.bulk import models as _bulk  # noqa: F401
    from pelvicoach.programs.enrolment.bulk import services as bulk
    from pelvicoach.programs.enrolment.models import Patient
    from pelvicoach.programs.followup import models as _followup  # noqa: F401
    from pelvicoach.programs.information import models as _information  # noqa: F401
    from pelvicoach.programs.intake import models as _intake  # noqa: F401
    from pelvicoach.programs.portal import bp as portal
    from pelvicoach.programs.reminders import jobs as reminder_jobs
    from pelvicoach.programs.training import models as _training  # noqa: F401
    from pelvicoach.programs.training import partitions

    register_policy(Patient, patient_policy)
    reminder_jobs.register()
    schedule.register(schedule.Periodic("purge-enrolment-imports", bulk.purge, every=3600))
    schedule.register(schedule.Periodic("purge-code-signups", codes.purge, every=3600))
    schedule.register(schedule.Periodic("retention", retention.run, every=86400))
    schedule.register(schedule.Periodic("session-partitions", partitions.ensure, every=86400))
    app.register_blueprint(portal)
    app.register_blueprint(clinician)
    app.register_blueprint(editor)
    app.register_blueprint(desk)
    app.register_blueprint(api.bp)
    app.cli.add_command(demo.demo_command)
    app.cli.add_command(seed.seed_command)
    app.cli.add_command(program_command)
    app.cli.add_command(partitions.sessions_group)
