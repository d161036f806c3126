"""Check-ins at weeks 4 and 8, the alert without improvement (on her home page and by e-mail),
her referral and whether she went, "something changed", and the summary of her data."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.followup.models import CareAlert, Reassessment, Referral
from pelvicoach.programs.training.models import TrainingPlan
from pelvicoach.tenants.care_providers import CareProvider

SAME = {"leaked": "yes", "isi_frequency": "weekly", "isi_amount": "drops", "pgi_i": "no_change"}
BETTER = {"leaked": "no", "pgi_i": "much_better"}


def _rows(tenant, model) -> list:
    database.session.expire_all()
    with tenant_context(tenant.id, database.session):
        return list(database.session.scalars(select(model).order_by(model.id)))


def _training(client, tenant, patient, weeks: int) -> None:
    """She opened the training, logged a set, and (time moved) started `weeks` weeks ago."""
    page = client.get("/t/linde/training")
    form = {
        "client_id": re.search(r'name="client_id" value="([^"]+)"', page.text).group(1),
        "level": "1",
        "effort": "right",
    }
    client.post("/t/linde/training/log", data=form)
    with tenant_context(tenant.id, database.session):
        plan = database.session.scalar(
            select(TrainingPlan).where(TrainingPlan.patient_id == patient.id)
        )
        plan.practice_started_on -= timedelta(weeks=weeks)
        database.session.commit()


def _later(tenant, patient, weeks: int) -> None:
    with tenant_context(tenant.id, database.session):
        plan = database.session.scalar(
            select(TrainingPlan).where(TrainingPlan.patient_id == patient.id)
        )
        plan.practice_started_on -= timedelta(weeks=weeks)
        database.session.commit()


def test_weeks_4_and_8_without_improvement_raise_the_alert_and_she_confirms_a_referral(
    client, linde, trainee
):
    patient = trainee()
    _training(client, linde, patient, 3)
    assert "Time for a check-in" not in client.get("/t/linde/?lang=en").text
    assert "after 4 weeks of training" in client.get("/t/linde/check-in?lang=en").text
    assert client.post("/t/linde/check-in", data=SAME).status_code == 200  # not due: nothing
    assert _rows(linde, Reassessment) == []

    _later(linde, patient, 1)  # week 4
    home = client.get("/t/linde/?lang=en")
    assert "Time for a check-in: how is it going after 4 weeks?" in home.text
    missing = client.post("/t/linde/check-in?lang=en", data={"leaked": "yes"})
    assert missing.status_code == 422
    assert missing.text.count("Choose an answer.") == 3
    assert client.post("/t/linde/check-in", data=SAME).status_code == 302
    result = client.get("/t/linde/check-in/result?lang=en")
    assert "Keep going." in result.text
    assert "<svg" in result.text
    assert "week 4" in result.text
    assert _rows(linde, CareAlert) == []  # week 4: no alert yet

    _later(linde, patient, 4)  # week 8
    assert (
        "Time for a check-in: how is it going after 8 weeks?"
        in client.get("/t/linde/?lang=en").text
    )
    client.post("/t/linde/check-in", data=SAME)
    (alert,) = _rows(linde, CareAlert)
    assert (alert.kind, alert.reasons) == (
        "no_improvement",
        ["severity_not_better", "pgi_not_improved"],
    )
    assert alert.details["baseline"]["isi"] == 3
    assert alert.details["practice_week"] == 8
    assert [r.practice_week for r in _rows(linde, Reassessment)] == [4, 8]
    (mail,) = [m for m in _rows(linde, OutgoingMail) if m.purpose == "care_alert"]
    assert mail.recipient == "anna@example.nl"
    assert "/t/linde/advice" in mail.body
    for private in ("leak", "urine", "plas", "ISI", "physiotherap"):
        assert private.lower() not in (mail.subject + mail.body).lower()

    home = client.get("/t/linde/?lang=en")
    assert "We advise you to contact your GP or a pelvic physiotherapist." in home.text
    advice = client.get("/t/linde/advice?postcode=3511+AB&lang=en")
    assert "Let someone look at this with you" in advice.text
    gp = next(p for p in _rows(linde, CareProvider) if p.name == "Huisarts Utrecht Centrum")
    assert f'value="{gp.id}"' in advice.text
    client.post(
        "/t/linde/advice/referral",
        data={"care_kind": "gp", "provider": str(gp.id), "alert": str(alert.id)},
    )
    (referral,) = _rows(linde, Referral)
    assert (referral.alert_id, referral.reason, referral.care_kind, referral.provider_id) == (
        alert.id,
        "no_improvement",
        "gp",
        gp.id,
    )
    assert "We advise you" not in client.get("/t/linde/?lang=en").text  # followed up
    client.post(f"/t/linde/referrals/{referral.id}/attended", data={"attended": "yes"})
    (referral,) = _rows(linde, Referral)
    assert referral.attended is True
    assert "You went." in client.get("/t/linde/advice?lang=en").text


def test_improvement_at_week_8_raises_nothing(client, linde, trainee):
    patient = trainee()
    _training(client, linde, patient, 4)
    client.post("/t/linde/check-in", data=SAME)
    _later(linde, patient, 4)
    client.post("/t/linde/check-in", data=BETTER)
    assert _rows(linde, CareAlert) == []
    assert "You are doing much better." in client.get("/t/linde/check-in/result?lang=en").text
    progress = client.get("/t/linde/progress?lang=en")
    assert "How much you leak" in progress.text
    assert progress.text.count("pc-chart-point") == 3  # start, week 4, week 8


def test_a_referral_names_only_her_tenants_providers_of_that_kind(
    client, linde, trainee, make_tenant
):
    trainee()
    physio = next(p for p in _rows(linde, CareProvider) if p.kind == "pelvic_physio")
    wrong = client.post(
        "/t/linde/advice/referral?lang=en",
        data={"care_kind": "gp", "provider": str(physio.id)},
        follow_redirects=True,
    )
    assert "Choose one of the care providers shown." in wrong.text
    assert client.post("/t/linde/advice/referral", data={"care_kind": "dentist"}).status_code == 302
    # numbers a form cannot send: a superscript two passes str.isdigit, one beyond the columns
    for odd in ("\u00b2", "99999999999"):
        refused = client.post(
            "/t/linde/advice/referral?lang=en",
            data={"care_kind": "gp", "provider": odd},
            follow_redirects=True,
        )
        assert "Choose who you will go to." in refused.text
    assert _rows(linde, Referral) == []
    # an alert no form could name is no alert: her own choice
    client.post("/t/linde/advice/referral", data={"care_kind": "pelvic_physio", "alert": "\u00b2"})
    (referral,) = _rows(linde, Referral)
    assert (referral.reason, referral.provider_id) == ("her_choice", None)


def test_a_red_flag_reported_later_routes_to_the_gp(client, linde, trainee):
    patient = trainee()
    calm = client.post(
        "/t/linde/something-changed?lang=en", data={"answer": "none"}, follow_redirects=True
    )
    assert "Good to hear." in calm.text
    empty = client.post("/t/linde/something-changed?lang=en", data={})
    assert empty.status_code == 422
    client.post("/t/linde/something-changed", data={"answer": ["blood_in_urine"]})
    (alert,) = _rows(linde, CareAlert)
    assert (alert.kind, alert.reasons) == ("red_flag", ["blood_in_urine"])
    with tenant_context(linde.id, database.session):
        assert database.session.get(Patient, patient.id).phase == "referred"
    advice = client.get("/t/linde/advice?lang=en")
    assert "See your GP first" in advice.text
    # her GP first: no pelvic physiotherapist offered, nor taken, for this alert
    assert 'value="gp"' in advice.text
    assert 'value="pelvic_physio"' not in advice.text
    physio = {"care_kind": "pelvic_physio", "alert": str(alert.id)}
    refused = client.post("/t/linde/advice/referral?lang=en", data=physio, follow_redirects=True)
    assert "Choose who you will go to." in refused.text
    assert _rows(linde, Referral) == []
    assert "opens after the questions" in client.get("/t/linde/training?lang=en").text


def test_her_data_prints_as_one_pdf(client, linde, trainee):
    patient = trainee()
    _training(client, linde, patient, 4)
    client.post("/t/linde/check-in", data=SAME)
    printed = client.get("/t/linde/my-summary.pdf")
    assert printed.mimetype == "application/pdf"
    assert printed.data.startswith(b"%PDF")
    assert printed.headers["Cache-Control"] == "no-store"


def test_a_check_in_done_late_is_not_owed_again_at_once(client, linde, trainee):
    patient = trainee()
    _training(client, linde, patient, 9)  # her first was due at week 4; it is week 9
    assert "Time for a check-in" in client.get("/t/linde/?lang=en").text
    assert client.post("/t/linde/check-in", data=BETTER).status_code == 302
    assert [row.practice_week for row in _rows(linde, Reassessment)] == [9]
    assert "Time for a check-in" not in client.get("/t/linde/?lang=en").text
    assert client.post("/t/linde/check-in", data=SAME).status_code == 200  # not due: nothing
    assert len(_rows(linde, Reassessment)) == 1
    _later(linde, patient, 3)  # week 12: the next
    assert "Time for a check-in" in client.get("/t/linde/?lang=en").text


def test_check_ins_are_for_women_in_training(client, linde, patient_in):
    patient_in()
    assert client.get("/t/linde/check-in").status_code == 404
    assert client.get("/t/linde/check-in/result").status_code == 404
