"""Roles: clinicians see their caseload; other staff no patient data; emergency access audited."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.programs.care.models import EmergencyAccess

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def practice(make_tenant, make_user, make_patient):
    tenant = make_tenant("linde")
    anouk = make_user(tenant, "anouk@linde.nl", "clinician")
    eva = make_user(tenant, "eva@linde.nl", "clinician")
    own = make_patient(tenant, "sanne@example.nl", clinician=anouk)
    other = make_patient(tenant, "noor@example.nl", clinician=eva)
    return tenant, anouk, own, other


def test_a_clinician_sees_her_own_caseload_only(client, practice, sign_in_staff):
    _tenant, anouk, own, other = practice
    sign_in_staff("linde", anouk)
    caseload = client.get("/t/linde/staff/patients/")
    assert own.pseudonym in caseload.text
    assert other.pseudonym not in caseload.text
    assert client.get(f"/t/linde/staff/patients/{own.pseudonym}").status_code == 200
    refused = client.get(f"/t/linde/staff/patients/{other.pseudonym}")
    assert refused.status_code == 403
    assert "Niet in je caseload" in refused.text
    assert "noor@example.nl" not in refused.text


def test_emergency_access_needs_a_reason_and_is_audited(client, practice, sign_in_staff, make_user):
    tenant, anouk, _own, other = practice
    make_user(tenant, "beheer@linde.nl", "admin")
    make_user(tenant, "analist@linde.nl", "analyst")
    sign_in_staff("linde", anouk)
    url = f"/t/linde/staff/patients/{other.pseudonym}/emergency-access"
    assert client.post(url, data={"reason": "short"}).status_code == 400
    granted = client.post(url, data={"reason": "Patiënt belt met klachten, eigen fysio afwezig"})
    assert granted.headers["Location"] == f"/t/linde/staff/patients/{other.pseudonym}"
    record = client.get(f"/t/linde/staff/patients/{other.pseudonym}")
    assert record.status_code == 200
    assert "noor@example.nl" in record.text
    grant = database.session.scalars(select(EmergencyAccess)).one()
    assert grant.clinician_id == anouk.id
    event = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "patient.emergency_access")
    )
    assert event.object_id == other.pseudonym
    assert "eigen fysio afwezig" in event.detail["reason"]
    # The tenant's admins are told who used it, not for whom nor why.
    (told,) = database.session.scalars(
        select(OutgoingMail).where(OutgoingMail.purpose == "emergency_access")
    ).all()
    assert told.recipient == "beheer@linde.nl"
    assert anouk.name in told.body
    for secret in (other.pseudonym, "noor", "eigen fysio"):
        assert secret not in told.body + told.subject


def test_a_practice_may_open_every_patient_to_every_clinician(client, practice, sign_in_staff):
    tenant, anouk, _own, other = practice
    tenant.clinicians_see_all_patients = True
    database.session.commit()
    sign_in_staff("linde", anouk)
    assert other.pseudonym in client.get("/t/linde/staff/patients/").text
    assert client.get(f"/t/linde/staff/patients/{other.pseudonym}").status_code == 200


@pytest.mark.parametrize("role", ["admin", "enrolment", "analyst"])
def test_other_staff_roles_see_no_patient_data(client, practice, make_user, sign_in_staff, role):
    tenant, _anouk, own, _other = practice
    sign_in_staff("linde", make_user(tenant, f"{role}@linde.nl", role))
    assert client.get("/t/linde/staff/patients/").status_code == 403
    assert client.get(f"/t/linde/staff/patients/{own.pseudonym}").status_code == 403


def test_patients_cannot_open_staff_pages(client, practice, sign_in):
    sign_in("linde", "sanne@example.nl")
    assert client.get("/t/linde/staff/").status_code == 403
    assert client.get("/t/linde/staff/patients/").status_code == 403
    assert client.get("/t/linde/admin/api-keys").status_code == 403


def test_a_patient_sees_who_looked_at_her_data(app, client, practice, sign_in):
    _tenant, anouk, own, _other = practice
    staff = app.test_client()
    staff.post("/t/linde/login", data={"email": anouk.email, "password": PASSWORD})
    staff.post("/t/linde/login/verify", data={"code": pyotp.TOTP(anouk.totp_secret).now()})
    assert staff.get(f"/t/linde/staff/patients/{own.pseudonym}").status_code == 200

    sign_in("linde", "sanne@example.nl")
    log = client.get("/t/linde/my-data/access")
    assert log.status_code == 200
    assert "Anouk Test" in log.text
    assert "(zorgverlener)" in log.text
    # only patients have such a page
    assert staff.get("/t/linde/my-data/access").status_code == 403


def test_her_clinician_switches_bladder_training_on_audited(
    client, app, practice, sign_in_staff, make_patient
):
    from pelvicoach.platform.tenancy import tenant_context
    from pelvicoach.programs.training.models import TrainingPlan

    tenant, anouk, own, other = practice
    sign_in_staff("linde", anouk)
    page = client.get(f"/t/linde/staff/patients/{own.pseudonym}?lang=en")
    assert "Switch bladder training on" in page.text
    change = {"change": "bladder_on", "reason": "Aandrang bij controle"}
    switched = client.post(f"/t/linde/staff/patients/{own.pseudonym}/plan", data=change)
    assert switched.status_code == 302
    refused = client.post(f"/t/linde/staff/patients/{other.pseudonym}/plan", data=change)
    assert refused.status_code == 403  # not on her caseload
    with tenant_context(tenant.id, database.session):
        plans = {
            p.patient_id: p.bladder_training for p in database.session.scalars(select(TrainingPlan))
        }
    assert plans == {own.id: True}
    event = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "patient.plan_changed")
    )
    assert (event.object_id, event.detail) == (
        own.pseudonym,
        {"change": "bladder_on", "level": None},
    )
