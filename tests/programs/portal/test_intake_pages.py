"""The intake in the portal: screen by screen, what each outcome shows, and bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import her_today
from intake_answers import CLEAR, STRESS, URGE, postpartum
from sqlalchemy import func, select

from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.intake.models import Intake


def _intakes(tenant) -> list[Intake]:
    with tenant_context(tenant.id, database.session):
        return list(database.session.scalars(select(Intake).order_by(Intake.id)))


def _phase(tenant, patient) -> str:
    with tenant_context(tenant.id, database.session):
        return database.session.get(Patient, patient.id).phase


def test_a_red_flag_means_the_gp_with_a_pdf_and_providers_near_her(client, linde, patient_in, walk):
    patient = patient_in()
    done = walk(postpartum(12, red_flags=["blood_in_urine", "bulge"]))
    assert done.headers["Location"].endswith("/intake/result")
    result = client.get("/t/linde/intake/result?lang=en")
    assert "/t/linde/intake/summary.pdf" in result.text
    assert 'name="postcode"' in result.text
    pdf = client.get("/t/linde/intake/summary.pdf")
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    assert pdf.headers["Cache-Control"] == "no-store"
    near = client.get("/t/linde/care?postcode=1071+AB&kind=gp&lang=en")
    names = [n for n in ("Amsterdam Pijp", "Utrecht Centrum", "Groningen") if n in near.text]
    assert names == ["Amsterdam Pijp", "Utrecht Centrum", "Groningen"]
    assert near.text.index("Amsterdam Pijp") < near.text.index("Utrecht Centrum")
    assert "Bekkenfysio" not in near.text
    assert "GeoNames" in near.text
    (intake,) = _intakes(linde)
    assert (intake.route, intake.rule, intake.version_number) == ("see_gp", "red_flag", 1)
    assert intake.scores["red_flags"] == ["blood_in_urine", "bulge"]
    assert intake.answers["red_flags"] == ["blood_in_urine", "bulge"]
    assert _phase(linde, patient) == "referred"
    # she may still read the information
    assert client.get("/t/linde/learn/how-it-works").status_code == 200


def test_three_weeks_after_birth_information_and_awareness_only(client, linde, patient_in, walk):
    patient = patient_in()
    walk(postpartum(3))
    (intake,) = _intakes(linde)
    delivered = date.today() - timedelta(weeks=3)
    assert intake.route == "wait"
    assert intake.reopens_on == delivered + timedelta(weeks=6)
    assert _phase(linde, patient) == "awareness"
    result = client.get("/t/linde/intake/result?lang=en")
    assert "The questions open again on" in result.text
    # the intake stays closed until then
    again = client.get("/t/linde/intake/q/leaked")
    assert again.headers["Location"].endswith("/t/linde/intake")
    assert "open again on" in client.get("/t/linde/?lang=en").text
    assert "Time to answer the questions again" not in client.get("/t/linde/?lang=en").text
    with tenant_context(linde.id, database.session):  # six weeks after the birth
        database.session.scalar(select(Intake)).reopens_on = her_today()
        database.session.commit()
    assert "Time to answer the questions again" in client.get("/t/linde/?lang=en").text


def test_unsure_control_stays_with_awareness_and_checks_again(client, linde, patient_in, walk):
    patient_in()
    walk(postpartum(10, control_feel="unsure"))
    (intake,) = _intakes(linde)
    assert (intake.route, intake.rule) == ("awareness", "control_unsure")
    assert intake.recheck_on == her_today() + timedelta(days=14)
    result = client.get("/t/linde/intake/result?lang=en")
    assert "Check again on" in result.text
    assert 'name="kind" value="pelvic_physio"' in result.text
    home = client.get("/t/linde/?lang=en").text
    assert "Answer the questions again from" in home
    assert "Time to answer the questions again" not in home
    with tenant_context(linde.id, database.session):  # two weeks on
        database.session.scalar(select(Intake)).recheck_on = her_today()
        database.session.commit()
    home = client.get("/t/linde/?lang=en").text
    assert "Time to answer the questions again: how is your pelvic floor now?" in home


def test_stress_type_unlocks_training_and_urge_type_also_bladder_training(
    client, linde, patient_in, walk, sign_in
):
    first = patient_in("stress@example.nl")
    walk(postpartum(10))
    assert _phase(linde, first) == "training"
    stress_page = client.get("/t/linde/intake/result")
    client.post("/t/linde/logout")
    second = patient_in("urge@example.nl")
    walk(postpartum(10, **URGE))
    urge_page = client.get("/t/linde/intake/result")
    stress, urge = _intakes(linde)
    assert (stress.route, stress.bladder_training) == ("training", False)
    assert (urge.route, urge.bladder_training, urge.rule) == ("training", True, "training_bladder")
    assert _phase(linde, second) == "training"
    from pelvicoach.programs.configuration.services import default_program
    from pelvicoach.programs.portal.patient import localized

    with client.application.test_request_context():
        heading = localized(default_program().outcome("bladder_training")["title"])
    assert heading not in stress_page.text
    assert heading in urge_page.text


def test_a_menopause_patient_is_asked_nothing_about_a_birth(client, linde, patient_in, walk):
    patient_in(cohort="menopause")
    start = client.get("/t/linde/intake")
    assert "/t/linde/intake/q/red_flags" in start.text
    assert client.get("/t/linde/intake/q/delivery_date").status_code == 404
    modules = client.get("/t/linde/learn").text
    assert "/t/linde/learn/menopause" in modules
    walk({"red_flags": ["none"], **STRESS, **CLEAR})
    (intake,) = _intakes(linde)
    assert intake.cohort == "menopause"
    assert "delivery_date" not in intake.answers
    assert intake.route == "training"


def test_postpartum_patients_do_not_get_the_menopause_module(client, linde, patient_in):
    patient_in()
    assert "/t/linde/learn/menopause" not in client.get("/t/linde/learn").text
    assert client.get("/t/linde/learn/menopause").status_code == 404


def test_answers_are_kept_when_she_leaves_halfway(client, linde, patient_in, sign_in):
    patient_in()
    client.post("/t/linde/intake/q/delivery_date", data={"answer": "2026-08-01"})
    client.post("/t/linde/intake/q/delivery_kind", data={"answer": "caesarean"})
    client.post("/t/linde/logout")
    sign_in("linde", "anna@example.nl")
    start = client.get("/t/linde/intake?lang=en")
    assert "Continue where you left off" in start.text
    assert 'href="/t/linde/intake/q/tear_grade"' in start.text
    back = client.get("/t/linde/intake/q/delivery_kind")
    assert 'value="caesarean" checked' in back.text


def test_bad_answers_get_a_clear_message_and_store_nothing(client, linde, patient_in):
    patient = patient_in()
    cases = [
        ("delivery_date", {}, "Fill in a date."),
        (
            "delivery_date",
            {"answer": (date.today() + timedelta(days=3)).isoformat()},
            "in the future",
        ),
        ("delivery_date", {"answer": "yesterday"}, "Fill in a date, for example"),
        ("delivery_kind", {"answer": "helicopter"}, "Choose one of the answers shown."),
        ("red_flags", {"answer": ["none", "bulge"]}, "cannot be combined"),
        ("leaked", {}, "Choose an answer."),
    ]
    for key, data, message in cases:
        response = client.post(f"/t/linde/intake/q/{key}?lang=en", data=data)
        assert response.status_code == 400, key
        assert message in response.text, key
        assert 'role="alert"' in response.text
    assert _intakes(linde) == []
    # a key that is not a question of her intake
    assert client.post("/t/linde/intake/q/shoe_size", data={"answer": "40"}).status_code == 404
    assert _phase(linde, patient) == "information"


def test_sending_an_unfinished_intake_lists_what_is_missing_and_changes_nothing(
    client, linde, patient_in
):
    patient = patient_in()
    client.post("/t/linde/intake/q/delivery_date", data={"answer": "2026-08-01"})
    response = client.post("/t/linde/intake/check?lang=en")
    assert response.status_code == 400
    assert "Some questions still need an answer" in response.text
    assert 'href="/t/linde/intake/q/red_flags"' in response.text
    (draft,) = _intakes(linde)
    assert draft.completed_at is None
    assert draft.answers == {"delivery_date": "2026-08-01"}
    assert _phase(linde, patient) == "information"


def test_an_unknown_postcode_gets_a_message_not_an_empty_list(client, linde, patient_in):
    patient_in()
    response = client.get("/t/linde/care?postcode=0000&lang=en")
    assert response.status_code == 400
    assert "We do not know the postcode 0000" in response.text
    assert client.get("/t/linde/care?postcode=1099+ZZ&lang=en").status_code == 400
    valid = client.get("/t/linde/care?postcode=3511&lang=en")
    assert valid.status_code == 200
    assert valid.text.index("Utrecht Centrum") < valid.text.index("Amsterdam Pijp")


def test_home_page_statements_do_not_grow_with_her_history(
    client, linde, patient_in, walk, count_queries
):
    patient_in()
    with count_queries() as before:
        assert client.get("/t/linde/").status_code == 200
    for key in ("how-it-works", "anatomy", "toilet-habits"):
        client.post(f"/t/linde/learn/{key}/read")
    walk(postpartum(10, control_feel="unsure"))
    walk(postpartum(10))
    with count_queries() as after:
        home = client.get("/t/linde/?lang=en")
    assert "3 of 3 read" in home.text
    assert "To today's training" in home.text
    # tenant, the tenant into the transaction, session with user and roles, her standing
    assert after.count == before.count <= 4, "\n".join(after.statements)


def test_reading_a_module_counts_once(client, linde, patient_in):
    patient_in()
    for _ in range(2):
        assert client.post("/t/linde/learn/anatomy/read").status_code == 302
    assert "1 of 3 read" in client.get("/t/linde/?lang=en").text
    assert "You have read this." in client.get("/t/linde/learn/anatomy?lang=en").text
    assert client.post("/t/linde/learn/no-such-module/read").status_code == 404


def test_staff_cannot_use_the_patient_pages(client, linde, make_user, sign_in_staff):
    admin = make_user(linde, "admin@linde.nl", "admin")
    sign_in_staff("linde", admin)
    for path in (
        "/t/linde/intake",
        "/t/linde/learn",
        "/t/linde/care",
        "/t/linde/exercises/breathing",
    ):
        assert client.get(path).status_code == 403, path


def test_every_count_of_intakes_is_hers_only(client, linde, patient_in, walk, make_tenant):
    patient_in()
    walk(postpartum(10))
    other = make_tenant("horizon")
    with tenant_context(other.id, database.session):
        assert database.session.scalar(select(func.count()).select_from(Intake)) == 0


@pytest.mark.parametrize(("days", "route"), [(41, "wait"), (42, "training")])
def test_her_weeks_since_the_birth_count_her_own_days_not_the_servers(
    client, make_tenant, make_patient, sign_in, walk, db, days, route
):
    """In a zone whose date differs from UTC's right now (one of the two always does), day 41
    after the birth is still the early weeks and day 42 is not, by her calendar."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import update

    from pelvicoach.programs.configuration.services import publish
    from pelvicoach.tenants.models import Tenant

    now = datetime.now(UTC)
    zone = next(
        name
        for name in ("Pacific/Kiritimati", "Pacific/Pago_Pago")  # UTC+14, UTC-11
        if now.astimezone(ZoneInfo(name)).date() != now.date()
    )
    tenant = make_tenant("linde")
    db.session.execute(update(Tenant).where(Tenant.id == tenant.id).values(time_zone=zone))
    with tenant_context(tenant.id, db.session):
        publish(tenant.id, {})
        db.session.commit()
    make_patient(tenant, "anna@example.nl", phase="information")
    assert sign_in("linde", "anna@example.nl").status_code == 302
    delivered = datetime.now(ZoneInfo(zone)).date() - timedelta(days=days)
    walk(postpartum(0, delivery_date=delivered.isoformat()))
    assert _intakes(tenant)[-1].route == route, zone
