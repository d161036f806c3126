"""The retention job, through a real rq worker and SMTP server: after her tenant's period
without her she is warned by e-mail, and erased a month later unless she came back; each
tenant's own period; a second run the same day warns and erases no one twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pelvicoach.platform import outbox
from pelvicoach.platform.accounts import User
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment import retention
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.tenants.models import Tenant

NOW = datetime(2026, 11, 27, 3, tzinfo=UTC)


def _seen(tenant, patient, last: datetime | None, *, enrolled: datetime) -> None:
    """Her enrolment, account and last visit moved back in time."""
    with tenant_context(tenant.id, database.session):
        row = database.session.get(Patient, patient.id)
        row.enrolled_at = enrolled
        user = database.session.get(User, row.user_id)
        user.created_at, user.last_active_at = enrolled, last
        database.session.commit()


@pytest.fixture
def women(make_tenant, make_patient, db):
    linde = make_tenant("linde", name="Praktijk De Linde")
    horizon = make_tenant("horizon", name="Zorgverzekeraar Horizon", kind="insurer")
    db.session.get(Tenant, horizon.id).retention_months = 6
    db.session.commit()
    long_ago = datetime(2023, 1, 10, tzinfo=UTC)
    made = {
        "anna": make_patient(linde, "anna@example.nl"),  # 24 months less 10 days
        "bea": make_patient(linde, "bea@example.nl"),  # a year: nothing yet
        "dora": make_patient(linde, "dora@example.nl"),  # 30 months, never warned
        "cara": make_patient(horizon, "cara@example.nl"),  # 7 months, at a 6-month tenant
    }
    _seen(linde, made["anna"], NOW - timedelta(days=720), enrolled=long_ago)
    _seen(linde, made["bea"], NOW - timedelta(days=365), enrolled=long_ago)
    _seen(linde, made["dora"], None, enrolled=datetime(2024, 5, 1, tzinfo=UTC))
    _seen(horizon, made["cara"], NOW - timedelta(days=213), enrolled=long_ago)
    return linde, horizon, made


def _run(platform_twin, app, run_jobs, now: datetime) -> retention.Outcome:
    with platform_twin(app).app_context():
        outcome = retention.run(now)
        outbox.relay()
    run_jobs(app)
    return outcome


def _erased(tenant) -> set[str]:
    database.session.expire_all()
    with tenant_context(tenant.id, database.session):
        return set(
            database.session.scalars(
                select(Patient.pseudonym).where(Patient.erased_at.is_not(None))
            )
        )


def test_warned_then_erased_unless_she_came_back(mail_app, women, platform_twin, run_jobs, sign_in):
    linde, horizon, made = women
    assert _run(platform_twin, mail_app, run_jobs, NOW) == retention.Outcome(warned=3, erased=0)
    warned = {m["To"]: m for m in mail_app.mailbox.messages}
    assert set(warned) == {"anna@example.nl", "dora@example.nl", "cara@example.nl"}
    assert "Praktijk De Linde" in warned["anna@example.nl"]["Subject"]
    anna_text = warned["anna@example.nl"].get_content()
    # Her 24 months end on 7 December, dora's long ago: each gets a month's notice.
    assert "27 december 2026" in anna_text
    assert "27 december 2026" in warned["dora@example.nl"].get_content()
    assert "/t/linde/" in anna_text
    # Run again the same day: nobody warned twice.
    assert _run(platform_twin, mail_app, run_jobs, NOW + timedelta(hours=1)) == retention.Outcome()
    assert len(mail_app.mailbox.messages) == 3

    # Anna signs in after the warning; a month on, the others go, she stays.
    assert sign_in("linde", "anna@example.nl").status_code == 302
    with tenant_context(linde.id, database.session):
        user = database.session.get(User, made["anna"].user_id)
        assert user.last_active_at is not None  # stamped at sign-in
        user.last_active_at = NOW + timedelta(days=3)  # as at her sign-in, in this story's time
        database.session.commit()
    later = NOW + timedelta(days=40)
    assert _run(platform_twin, mail_app, run_jobs, later) == retention.Outcome(warned=0, erased=2)
    assert _erased(linde) == {made["dora"].pseudonym}
    assert _erased(horizon) == {made["cara"].pseudonym}
    with tenant_context(linde.id, database.session):
        events = database.session.execute(
            select(AuditEvent.object_id, AuditEvent.detail).where(
                AuditEvent.action == "patient.erased"
            )
        ).all()
        assert database.session.scalar(select(User).where(User.email == "dora@example.nl")) is None
    assert events == [(made["dora"].pseudonym, {"by": "retention"})]
    assert len(mail_app.mailbox.messages) == 3  # no mail at erasure: her address is gone

    # Bea's year becomes two: warned, and erased a month after.
    assert _run(platform_twin, mail_app, run_jobs, NOW + timedelta(days=360)).warned == 1
    assert mail_app.mailbox.messages[-1]["To"] == "bea@example.nl"
    assert _run(platform_twin, mail_app, run_jobs, NOW + timedelta(days=391)).erased == 1
    assert made["bea"].pseudonym in _erased(linde)


def test_the_stop_counts_as_her_last_sign(make_tenant, make_patient, db):
    linde = make_tenant("linde")
    patient = make_patient(linde, "eva@example.nl")
    _seen(
        linde, patient, datetime(2023, 1, 1, tzinfo=UTC), enrolled=datetime(2022, 6, 1, tzinfo=UTC)
    )
    with tenant_context(linde.id, db.session):
        row = db.session.get(Patient, patient.id)
        row.stopped_at = datetime(2026, 3, 1, tzinfo=UTC)
        assert retention.last_seen(row, row.user) == datetime(2026, 3, 1, tzinfo=UTC)
        row.stopped_at = None
        assert retention.last_seen(row, row.user) == datetime(2023, 1, 1, tzinfo=UTC)
        assert retention.last_seen(row, None) == datetime(2022, 6, 1, tzinfo=UTC)
