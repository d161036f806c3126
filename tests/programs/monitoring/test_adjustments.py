"""Her clinician adjusts her plan with a reason: her level, exercise therapy opened or closed,
bladder training; she reads each change (and the note with it) on her home page until she
has seen it; wrong input is answered with the form; the record keeps every change."""

from __future__ import annotations

from sqlalchemy import select

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.monitoring.models import PlanChange
from pelvicoach.programs.training.models import TrainingPlan

PASSWORD = "correct-horse-battery-staple"


def test_a_clinician_opens_training_and_sets_a_level_and_she_reads_it(
    app, client, make_tenant, make_user, make_patient, sign_in_staff, db
):
    linde = make_tenant("linde")
    fysio = make_user(linde, "fysio@linde.nl", "clinician")
    anna = make_patient(linde, "anna@example.nl", phase="awareness", clinician=fysio)
    her = app.test_client()
    her.post("/t/linde/login", data={"email": "anna@example.nl", "password": PASSWORD})
    assert her.get("/t/linde/training?lang=en").status_code == 200
    assert "changed your plan" not in her.get("/t/linde/?lang=en").text
    sign_in_staff("linde", fysio)
    plan = f"/t/linde/staff/patients/{anna.pseudonym}/plan"

    no_reason = client.post(plan + "?lang=en", data={"change": "unlock", "reason": " "})
    assert no_reason.status_code == 422
    assert "This field is required." in no_reason.text
    opened = client.post(
        plan,
        data={
            "change": "unlock",
            "reason": "Aanspanning gecontroleerd in de praktijk: goed",
            "note": "Je mag beginnen met de oefeningen!",
        },
    )
    assert opened.headers["Location"].endswith(f"/{anna.pseudonym}#plan")
    again = client.post(plan + "?lang=en", data={"change": "unlock", "reason": "Nog eens"})
    assert again.status_code == 422
    assert "Exercise therapy is open for her already." in again.text
    too_high = client.post(plan, data={"change": "level", "level": "13", "reason": "Sterk"})
    assert too_high.status_code == 422
    assert (
        "Choose a level her program has."
        in client.post(plan + "?lang=en", data={"change": "level", "reason": "Sterk"}).text
    )
    assert (
        client.post(plan, data={"change": "level", "level": "4", "reason": "Sterk"}).status_code
        == 302
    )

    db.session.expire_all()
    with tenant_context(linde.id, db.session):
        assert db.session.get(Patient, anna.id).phase == "training"
        row = db.session.scalar(select(TrainingPlan))
        assert (row.level, row.highest_level) == (4, 4)
        audited = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "patient.plan_changed")
        ).all()
    assert audited == [{"change": "unlock", "level": None}, {"change": "level", "level": 4}]

    home = her.get("/t/linde/?lang=en")
    assert "Your clinician opened the exercise training for you." in home.text
    assert "Je mag beginnen met de oefeningen!" in home.text
    assert "Your clinician set your training level to 4." in home.text
    assert "Aanspanning gecontroleerd" not in home.text  # the reason is for the record
    assert "Level 4" in home.text
    assert her.post("/t/linde/plan-changes/seen").headers["Location"] == "/t/linde/"
    assert "changed your plan" not in her.get("/t/linde/?lang=en").text
    record = client.get(f"/t/linde/staff/patients/{anna.pseudonym}?lang=en")
    assert "Aanspanning gecontroleerd in de praktijk: goed" in record.text
    assert "not yet" not in record.text  # both seen

    closed = client.post(plan, data={"change": "lock", "reason": "Pijn bij aanspannen"})
    assert closed.status_code == 302
    assert (
        "Your clinician asks you to do the awareness exercises first."
        in her.get("/t/linde/?lang=en").text
    )
    db.session.expire_all()
    with tenant_context(linde.id, db.session):
        assert db.session.get(Patient, anna.id).phase == "awareness"
        assert [c.kind for c in db.session.scalars(select(PlanChange).order_by(PlanChange.id))] == [
            "unlock",
            "level",
            "lock",
        ]


def test_only_her_clinicians_change_her_plan(
    client, make_tenant, make_user, make_patient, sign_in_staff, db
):
    linde = make_tenant("linde")
    fysio = make_user(linde, "fysio@linde.nl", "clinician")
    anna = make_patient(linde, "anna@example.nl", phase="awareness", clinician=fysio)
    sign_in_staff("linde", make_user(linde, "collega@linde.nl", "clinician"))
    refused = client.post(
        f"/t/linde/staff/patients/{anna.pseudonym}/plan",
        data={"change": "unlock", "reason": "Zomaar"},
    )
    assert refused.status_code == 403
    db.session.expire_all()
    with tenant_context(linde.id, db.session):
        assert db.session.get(Patient, anna.id).phase == "awareness"
        assert db.session.scalar(select(PlanChange)) is None
