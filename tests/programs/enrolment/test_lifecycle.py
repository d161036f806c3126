"""Ending an enrolment by pseudonym at the desk (officer or admin), and the admin's retention
period: each audited, wrong input answered with the form, another tenant's women unreachable."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Patient, PatientInvitation, StopReason
from pelvicoach.tenants.models import Tenant

PAGE = "/t/linde/staff/enrolment/enrolments"


def _patient(db, tenant, patient) -> Patient:
    db.session.expire_all()
    with tenant_context(tenant.id, db.session):
        return db.session.get(Patient, patient.id)


def _actions(db, tenant) -> list[tuple[str, str | None, dict | None]]:
    with tenant_context(tenant.id, db.session):
        return db.session.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.detail).order_by(
                AuditEvent.seq
            )
        ).all()


def test_an_admin_ends_an_enrolment_by_pseudonym(
    client, make_tenant, make_user, make_patient, sign_in_staff, db
):
    linde, horizon = make_tenant("linde"), make_tenant("horizon")
    anna = make_patient(linde, "anna@example.nl", phase="training")
    elsewhere = make_patient(horizon, "bo@example.nl")
    with tenant_context(linde.id, db.session):
        db.session.add(
            PatientInvitation(
                tenant_id=linde.id,
                patient_id=anna.id,
                token_hash="f" * 64,
                sent_at=datetime.now(UTC),
                expires_at=datetime(2099, 1, 1, tzinfo=UTC),
            )
        )
        db.session.commit()
    sign_in_staff("linde", make_user(linde, "beheer@linde.nl", "admin"))
    page = client.get(PAGE + "?lang=en")
    assert page.status_code == 200
    assert 'she moved to another insurer or practice</td><td class="text-end">0<' in page.text
    assert 'value="24"' in page.text  # the retention period, by default

    # Unknown, another tenant's, and empty: the form says so, nothing changes.
    for pseudonym in ("PNOTHERE9", elsewhere.pseudonym):
        wrong = client.post(PAGE + "/end", data={"pseudonym": pseudonym, "reason": "left"})
        assert wrong.status_code == 422
        assert "Nobody in your program has this pseudonym." in wrong.text
    assert client.post(PAGE + "/end", data={"pseudonym": "", "reason": "left"}).status_code == 422
    bad_reason = {"pseudonym": anna.pseudonym, "reason": "withdrawn"}  # only she withdraws
    assert client.post(PAGE + "/end", data=bad_reason).status_code == 422
    assert _patient(db, linde, anna).stopped_at is None

    # As typed from a letter: lower case, spaces around.
    ended = client.post(
        PAGE + "/end", data={"pseudonym": f"  {anna.pseudonym.lower()} ", "reason": "left"}
    )
    assert ended.headers["Location"] == PAGE
    her = _patient(db, linde, anna)
    assert her.stop_reason == StopReason.LEFT
    assert her.stopped_at is not None
    with tenant_context(linde.id, db.session):
        invitation = db.session.scalar(select(PatientInvitation))
        mail = db.session.scalar(
            select(OutgoingMail).where(OutgoingMail.purpose == "enrolment_ended")
        )
    assert invitation.revoked_at is not None  # her unused link stops working
    assert mail.recipient == "anna@example.nl"
    assert "/t/linde/" in mail.body
    listed = client.get(PAGE)
    assert 'she moved to another insurer or practice</td><td class="text-end">1<' in listed.text
    assert anna.pseudonym not in listed.text  # an admin sees counts, not women
    assert "anna@example.nl" not in listed.text
    again = client.post(PAGE + "/end", data={"pseudonym": anna.pseudonym, "reason": "other"})
    assert again.status_code == 422
    assert "This enrolment has ended already." in again.text
    assert ("patient.enrolment_ended", anna.pseudonym, {"reason": "left"}) in _actions(db, linde)
    assert _patient(db, horizon, elsewhere).stopped_at is None


def test_the_retention_period_is_the_admins_to_set(
    client, make_tenant, make_user, sign_in_staff, db
):
    linde = make_tenant("linde")
    sign_in_staff("linde", make_user(linde, "beheer@linde.nl", "admin"))
    for months in ("3", "121", "twee", ""):
        refused = client.post(PAGE + "/retention?lang=en", data={"months": months})
        assert refused.status_code == 422, months
    assert "between 6 and 120" in client.post(PAGE + "/retention", data={"months": "3"}).text
    saved = client.post(PAGE + "/retention", data={"months": "36"})
    assert saved.headers["Location"] == PAGE
    db.session.expire_all()
    assert db.session.get(Tenant, linde.id).retention_months == 36
    change = {"before": {"retention_months": 24}, "after": {"retention_months": 36}}
    assert ("retention.changed", str(linde.id), change) in _actions(db, linde)
    assert 'value="36"' in client.get(PAGE).text


def test_an_officer_ends_enrolments_but_does_not_set_the_period(
    client, make_tenant, make_user, sign_in_staff, db
):
    linde = make_tenant("linde")
    sign_in_staff("linde", make_user(linde, "eva@linde.nl", "enrolment"))
    page = client.get(PAGE + "?lang=en")
    assert page.status_code == 200
    assert "deleted after 24 months without a visit" in page.text
    assert 'name="months"' not in page.text
    assert client.post(PAGE + "/retention", data={"months": "6"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Tenant, linde.id).retention_months == 24


def test_a_clinician_neither_ends_nor_sets(client, make_tenant, make_user, sign_in_staff):
    linde = make_tenant("linde")
    sign_in_staff("linde", make_user(linde, "fysio@linde.nl", "clinician"))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE + "/end", data={"pseudonym": "PX", "reason": "left"}).status_code == 403
