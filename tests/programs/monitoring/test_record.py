"""A patient's record for her clinician: her intake answers with the rule that fired, the
summary, sets per week, the session log, referrals and notes; notes kept by her clinicians only,
audited, erased with her."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from intake_answers import complete_intake, postpartum
from sqlalchemy import select
from training_history import add_sets

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.care.services import who_looked
from pelvicoach.programs.configuration.services import publish, version_for
from pelvicoach.programs.enrolment import erasure
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.followup import services as followup
from pelvicoach.programs.followup.models import AlertKind, Reassessment
from pelvicoach.programs.monitoring.models import ClinicianNote
from pelvicoach.programs.training import services as training
from pelvicoach.tenants.care_providers import ProviderKind


def test_her_record_shows_her_history_and_keeps_notes(
    client, make_tenant, make_user, make_patient, sign_in_staff, db
):
    linde = make_tenant("linde")
    fysio = make_user(linde, "fysio@linde.nl", "clinician")
    anna = make_patient(linde, "anna@example.nl", phase="awareness", clinician=fysio)
    now = datetime.now(UTC)
    with tenant_context(linde.id, db.session):
        publish(linde.id, {})
        her = db.session.get(Patient, anna.id)
        complete_intake(her, postpartum(12, leak_when=["urge"], leak_most="urge"))
        add_sets(
            linde.id,
            anna.id,
            [0, 0, 1, 8],
            2,
            1,
            completion="partly",
            effort="too_hard",
            leaked=True,
        )
        followup.confirm_referral(her, None, ProviderKind.PELVIC_PHYSIO, None)
        db.session.add(
            Reassessment(
                tenant_id=linde.id,
                patient_id=anna.id,
                practice_week=4,
                answers={},
                isi=3,
                pgi_i=2,
                completed_at=now,
            )
        )
        db.session.commit()
    sign_in_staff("linde", fysio)
    page = client.get(f"/t/linde/staff/patients/{anna.pseudonym}?lang=en")
    assert page.status_code == 200
    assert (
        "Outcome: exercise therapy, because of sufficient control; urge or mixed leaking, so"
        " bladder training too." in page.text
    )
    assert '<dd class="col-sm-8">Training</dd>' in page.text  # her step in words, not its key
    assert '<dd class="col-sm-8">Gave birth</dd>' in page.text
    assert "When was your baby born?" in page.text  # her answers, question by question
    assert page.text.count("too hard") == 4  # the session log
    assert "Pelvic physiotherapist" in page.text
    assert "her own choice" in page.text
    assert "No sets logged yet." not in page.text
    assert "How much she leaks over time (ISI, 0-12)" in page.text  # worded for her clinician
    assert "How much you leak" not in page.text
    assert "<td>week 4</td><td>3</td><td>2 (much better)</td>" in page.text  # with her PGI-I
    assert ">PGI-I 2</text>" in page.text  # under the check-in on the chart
    assert page.text.count('class="pc-chart-bar"') == 12  # a bar a week
    assert "The dashed line is her plan: 21 sets a week." in page.text  # her intake opened it
    assert "pc-chart-target" in page.text
    with tenant_context(linde.id, db.session):  # back to awareness work: no plan line
        db.session.get(Patient, anna.id).phase = "awareness"
        db.session.commit()
    page = client.get(f"/t/linde/staff/patients/{anna.pseudonym}?lang=en")
    assert "no plan to compare with" in page.text
    assert "pc-chart-target" not in page.text

    notes = f"/t/linde/staff/patients/{anna.pseudonym}/notes"
    assert client.post(notes, data={"text": "  "}).status_code == 422
    assert client.post(notes, data={"text": "x" * 4001}).status_code == 422
    kept = client.post(notes, data={"text": "Telefonisch gesproken: gaat goed, blijft oefenen."})
    assert kept.headers["Location"].endswith(f"/{anna.pseudonym}#notes")
    assert "Telefonisch gesproken" in client.get(f"/t/linde/staff/patients/{anna.pseudonym}").text
    with tenant_context(linde.id, db.session):
        assert "patient.note_added" in db.session.scalars(select(AuditEvent.action)).all()
        erasure.erase(db.session.get(Patient, anna.id))
        db.session.commit()
        assert db.session.scalar(select(ClinicianNote)) is None  # free text: erased with her


def test_her_weeks_drawn_against_her_plan_in_exercise_therapy(
    client, make_tenant, make_user, make_patient, sign_in_staff, db
):
    linde = make_tenant("linde")
    fysio = make_user(linde, "fysio@linde.nl", "clinician")
    anna = make_patient(linde, "anna@example.nl", phase="training", clinician=fysio)
    with tenant_context(linde.id, db.session):
        publish(linde.id, {})
        her = db.session.get(Patient, anna.id)
        per_week = version_for(her).sets_per_day(training.plan_for(her).level) * 7
        db.session.commit()
    sign_in_staff("linde", fysio)
    page = client.get(f"/t/linde/staff/patients/{anna.pseudonym}?lang=en").text
    assert f"The dashed line is her plan: {per_week} sets a week." in page
    assert 'class="pc-chart-target"' in page
    assert "No check-ins yet." in page


def test_only_her_clinicians_keep_notes_on_her_record(
    client, make_tenant, make_user, make_patient, sign_in_staff, db
):
    linde = make_tenant("linde")
    fysio = make_user(linde, "fysio@linde.nl", "clinician")
    anna = make_patient(linde, "anna@example.nl", clinician=fysio)
    sign_in_staff("linde", make_user(linde, "collega@linde.nl", "clinician"))
    refused = client.post(
        f"/t/linde/staff/patients/{anna.pseudonym}/notes", data={"text": "Niet mijn patiënt"}
    )
    assert refused.status_code == 403
    with tenant_context(linde.id, db.session):
        assert db.session.scalar(select(ClinicianNote)) is None


def test_a_letter_for_her_gp_only_with_her_consent(
    client, make_tenant, make_user, make_patient, sign_in_staff, db
):
    linde = make_tenant("linde")
    fysio = make_user(linde, "fysio@linde.nl", "clinician")
    anna = make_patient(linde, "anna@example.nl", phase="training", clinician=fysio)
    sign_in_staff("linde", fysio)
    letter = f"/t/linde/staff/patients/{anna.pseudonym}/letter.pdf"
    refused = client.post(letter + "?lang=en", data={"gp": "Huisarts Centrum"})
    assert refused.status_code == 422
    assert "Ask her first: the letter needs her consent." in refused.text
    made = client.post(
        letter, data={"gp": "Huisarts Centrum", "findings": "Goede aanspanning.", "consent": "y"}
    )
    assert made.status_code == 200
    assert made.mimetype == "application/pdf"
    assert made.data.startswith(b"%PDF-")
    assert made.headers["Content-Disposition"].endswith(f'brief-huisarts-{anna.pseudonym}.pdf"')
    with tenant_context(linde.id, db.session):
        events = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "patient.gp_letter")
        ).all()
    assert events == [{"consent": True}]
    with tenant_context(linde.id, db.session):
        her = db.session.get(Patient, anna.id)
        looked = [event.action for event, _user in who_looked(her)]
    # the letter holds her record: she sees it among who looked, beside the refusal's showing
    assert looked == ["patient.gp_letter", "patient.read"]


@pytest.mark.parametrize("form", ["messages", "plan", "notes", "letter.pdf"])
def test_a_form_sent_back_with_its_errors_shows_her_record_audited(
    form, client, make_tenant, make_user, make_patient, sign_in_staff, db
):
    linde = make_tenant("linde")
    fysio = make_user(linde, "fysio@linde.nl", "clinician")
    anna = make_patient(linde, "anna@example.nl", phase="training", clinician=fysio)
    sign_in_staff("linde", fysio)
    refused = client.post(f"/t/linde/staff/patients/{anna.pseudonym}/{form}", data={})
    assert refused.status_code == 422
    assert "anna@example.nl" in refused.text  # her record, shown again with the form's errors
    with tenant_context(linde.id, db.session):
        reads = db.session.scalars(
            select(AuditEvent.object_id).where(
                AuditEvent.action == "patient.read", AuditEvent.actor_id == fysio.id
            )
        ).all()
    assert reads == [anna.pseudonym]


def test_her_alerts_say_why_in_words(
    client, make_tenant, make_user, make_patient, sign_in_staff, db
):
    linde = make_tenant("linde")
    fysio = make_user(linde, "fysio@linde.nl", "clinician")
    anna = make_patient(linde, "anna@example.nl", phase="training", clinician=fysio)
    with tenant_context(linde.id, db.session):
        her = db.session.get(Patient, anna.id)
        followup.raise_alert(her, AlertKind.RED_FLAG, ["bulge", "constant_leak"], {})
        followup.raise_alert(her, AlertKind.NO_IMPROVEMENT, ["pgi_not_improved"], {})
        db.session.commit()
    sign_in_staff("linde", fysio)
    page = client.get(f"/t/linde/staff/patients/{anna.pseudonym}?lang=en").text
    assert "A bulge or a heavy feeling in your vagina; " in page
    assert "she does not feel much better (PGI-I 3 or more)" in page
    assert "constant_leak" not in page
