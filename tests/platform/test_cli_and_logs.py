"""Administration commands and production logging."""

from __future__ import annotations

import json
import logging

from sqlalchemy import select

from pelvicoach.platform.accounts import User, authenticate
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.logs import RequestContextFilter, configure
from pelvicoach.tenants.models import Tenant


def test_create_tenant_and_its_first_admin(cli, db):
    result = cli(
        *[
            "create-tenant",
            "--slug",
            "linde",
            "--name",
            "Praktijk De Linde",
            "--kind",
            "practice",
            "--brand-color",
            "#1F6B45",
        ]
    )
    assert result.exit_code == 0, result.output
    tenant = database.session.scalar(select(Tenant).where(Tenant.slug == "linde"))
    assert (tenant.kind, tenant.brand_color) == ("practice", "#1f6b45")

    result = cli(
        *[
            "create-user",
            "--tenant",
            "linde",
            "--email",
            "Anouk@Linde.nl",
            "--name",
            "Anouk",
            "--role",
            "admin",
            "--role",
            "clinician",
            "--password",
            "a-long-enough-pass",
        ]
    )
    assert result.exit_code == 0, result.output
    user = authenticate(tenant.id, "anouk@linde.nl", "a-long-enough-pass")
    assert user is not None
    assert user.roles == {"admin", "clinician"}


def test_create_tenant_explains_a_bad_slug_and_a_taken_one(app, db, make_tenant):
    make_tenant("linde")
    runner = app.test_cli_runner()
    bad = runner.invoke(
        args=["create-tenant", "--slug", "Linde!", "--name", "X", "--kind", "practice"]
    )
    assert bad.exit_code == 2
    assert "kleine letters" in bad.output  # commands speak the platform's default, Dutch
    taken = runner.invoke(
        args=["create-tenant", "--slug", "linde", "--name", "X", "--kind", "practice"]
    )
    assert "linde is al in gebruik" in taken.output


def test_create_user_refuses_short_staff_passwords_and_duplicates(cli, make_tenant, make_user):
    tenant = make_tenant("linde")
    make_user(tenant, "anouk@linde.nl", "admin")
    base = ["create-user", "--tenant", "linde", "--name", "A", "--role", "admin"]
    short = cli(*base, "--email", "new@linde.nl", "--password", "short")
    assert "12" in short.output
    duplicate = cli(*base, "--email", "ANOUK@linde.nl", "--password", "a-long-enough-pass")
    assert duplicate.exit_code == 2
    assert "exists here already" in duplicate.output
    count = len(database.session.scalars(select(User)).all())
    assert count == 1


def test_operator_account_has_no_tenant(cli, db):
    result = cli(
        *[
            "create-user",
            "--email",
            "ops@pelvicoach.nl",
            "--name",
            "Ops",
            "--role",
            "operator",
            "--password",
            "operator-password-1",
        ]
    )
    assert result.exit_code == 0, result.output
    user = database.session.scalar(select(User).where(User.email == "ops@pelvicoach.nl"))
    assert user.tenant_id is None
    assert authenticate(None, "ops@pelvicoach.nl", "operator-password-1") is not None


def test_production_logs_are_json_lines_with_the_request_id(app, db, capsys):
    logger = logging.getLogger("pelvicoach")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    configure(json_lines=True, level=logging.INFO)
    try:
        response = app.test_client().get("/healthz", headers={"X-Request-ID": "req-12345678"})
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved
    record = json.loads(line)
    assert response.status_code == 200
    assert record["request_id"] == "req-12345678"
    assert record["status"] == 200
    assert record["path"] == "/healthz"
    assert record["level"] == "INFO"
    assert isinstance(record["duration_ms"], float)


def test_log_records_outside_a_request_carry_placeholders():
    record = logging.LogRecord("pelvicoach", logging.INFO, __file__, 1, "msg", None, None)
    assert RequestContextFilter().filter(record)
    assert (record.request_id, record.tenant) == ("-", "-")
