"""The audit trail: what is logged, and `pelvicoach audit verify` on intact and tampered chains."""

from __future__ import annotations

from sqlalchemy import select, text

from pelvicoach.platform import audit
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import cross_tenant, tenant_context


def _chain(tenant_id, actions):
    with tenant_context(tenant_id, database.session):
        for action in actions:
            audit.record(action, tenant_id=tenant_id, object_type="patient", object_id="PX")
        database.session.commit()


def test_each_tenant_has_its_own_gap_free_chain(make_tenant, db):
    linde, horizon = make_tenant("linde"), make_tenant("horizon", kind="insurer")
    _chain(linde.id, ["a", "b", "c"])
    _chain(horizon.id, ["x", "y"])
    rows = database.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    by_tenant = {}
    for row in rows:
        by_tenant.setdefault(row.tenant_id, []).append(row)
    assert [r.seq for r in by_tenant[linde.id]] == [1, 2, 3]
    assert [r.seq for r in by_tenant[horizon.id]] == [1, 2]
    first, second = by_tenant[linde.id][:2]
    assert first.prev_hash == audit.GENESIS
    assert second.prev_hash == first.hash
    assert list(audit.verify()) == []


def test_verify_passes_on_an_intact_trail(cli, make_tenant, db):
    _chain(make_tenant("linde").id, ["a", "b"])
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "audit trail intact" in result.output


def test_verify_catches_an_altered_row(cli, make_tenant, db, owner_engine):
    tenant = make_tenant("linde")
    _chain(tenant.id, ["patient.read", "patient.read", "patient.read"])
    with owner_engine.begin() as connection:  # only the owner could do this
        connection.execute(
            text("UPDATE audit_events SET actor_id = 999 WHERE tenant_id = :t AND seq = 2"),
            {"t": tenant.id},
        )
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"tenant {tenant.id}, row 2: row was altered" in result.output


def test_verify_catches_a_removed_row(cli, make_tenant, db, owner_engine):
    tenant = make_tenant("linde")
    _chain(tenant.id, ["a", "b", "c", "d"])
    with owner_engine.begin() as connection:
        connection.execute(
            text("DELETE FROM audit_events WHERE tenant_id = :t AND seq = 2"), {"t": tenant.id}
        )
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "row(s) 2..2 missing" in result.output


def test_verify_catches_a_row_rewritten_with_a_fresh_hash(cli, make_tenant, db, owner_engine):
    """Recomputing the altered row's own hash does not help: the next row's link breaks."""
    tenant = make_tenant("linde")
    _chain(tenant.id, ["a", "b", "c"])
    row = database.session.scalar(
        select(AuditEvent).where(AuditEvent.tenant_id == tenant.id, AuditEvent.seq == 2)
    )
    row.action = "forged"
    forged_hash = row.compute_hash()
    database.session.rollback()
    with owner_engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE audit_events SET action = 'forged', hash = :h"
                " WHERE tenant_id = :t AND seq = 2"
            ),
            {"h": forged_hash, "t": tenant.id},
        )
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "row 3: link to the previous row is broken" in result.output


def test_staff_reads_of_a_patient_are_logged_with_who_and_where(
    client, make_tenant, make_user, make_patient, sign_in_staff, db
):
    tenant = make_tenant("linde")
    clinician = make_user(tenant, "anouk@linde.nl", "clinician")
    patient = make_patient(tenant, "sanne@example.nl", clinician=clinician)
    sign_in_staff("linde", clinician)
    client.get(
        f"/t/linde/staff/patients/{patient.pseudonym}", headers={"X-Request-ID": "req-abcdef12"}
    )
    event = database.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.read"))
    assert event.actor_id == clinician.id
    assert event.actor_roles == "clinician"
    assert event.object_type == "patient"
    assert event.object_id == patient.pseudonym  # pseudonymous, never a name
    assert event.ip == "127.0.0.1"
    assert event.request_id == "req-abcdef12"
    assert event.tenant_id == tenant.id


def test_parallel_failed_logins_on_sqlite_lose_no_audit_row(make_app, tmp_path, serve):
    from flask_migrate import upgrade
    from http_helpers import post_in_parallel

    from pelvicoach.tenants.services import create_tenant

    demo = make_app(
        PELVICOACH_MODE="demo",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'demo.db'}",
        SQLALCHEMY_ENGINE_OPTIONS={},
        MIGRATION_DATABASE_URL=None,
        REDIS_URL=None,
        RATELIMIT_STORAGE_URI="memory://",
    )
    with demo.app_context():
        upgrade()
        create_tenant(slug="linde", name="Praktijk De Linde", kind="practice")
        database.session.commit()
    base = serve(demo)
    forms = [{"email": f"guess{n}@example.nl", "password": "not it at all"} for n in range(12)]
    answers = post_in_parallel(f"{base}/t/linde/login", forms)
    assert [answer.status for answer in answers] == [200] * 12
    with demo.app_context(), cross_tenant(database.session, "test assertions"):
        actions = database.session.scalars(select(AuditEvent.action)).all()
        assert actions.count("login.failure") == 12
        assert list(audit.verify()) == []


def test_verify_sees_the_newest_rows_removed(cli, make_tenant, db, owner_engine):
    tenant = make_tenant("linde")
    _chain(tenant.id, ["a", "b", "c"])
    with owner_engine.begin() as connection:  # the owner: the app may not delete audit rows
        connection.execute(
            text("DELETE FROM audit_events WHERE tenant_id = :t AND seq = 3"), {"t": tenant.id}
        )
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert "the chain ends at row 2, not at its head" in result.output
