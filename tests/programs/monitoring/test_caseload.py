"""The clinician's caseload: each alert appears and clears as its facts change; adherence,
severity and trend; her patients only (or the practice's); search, filter, sort and pages; and
a fixed number of statements whatever the caseload's size."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from intake_answers import complete_intake, postpartum
from sqlalchemy import insert, select, update
from training_history import a_set

from pelvicoach.platform.accounts import User, UserRole
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.configuration.services import publish
from pelvicoach.programs.diary import services as diaries
from pelvicoach.programs.diary.models import EntryKind
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.followup import services as followup
from pelvicoach.programs.followup.models import AlertKind, Reassessment
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.training.models import ExerciseSession, TrainingPlan
from pelvicoach.tenants.care_providers import ProviderKind
from pelvicoach.tenants.models import Tenant

PAGE = "/t/linde/staff/patients/"
NOW = datetime.now(UTC)
ZONE = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def linde(make_tenant, db):
    tenant = make_tenant("linde")
    with tenant_context(tenant.id, db.session):
        publish(tenant.id, {})
        db.session.commit()
    return tenant


@pytest.fixture
def fysio(linde, make_user, sign_in_staff):
    clinician = make_user(linde, "fysio@linde.nl", "clinician")
    sign_in_staff("linde", clinician)
    return clinician


@pytest.fixture
def woman(linde, fysio, make_patient, db):
    """A patient of hers, enrolled long ago, seen today, without alerts."""

    def make(email: str = "anna@example.nl", phase: str = "awareness") -> Patient:
        patient = make_patient(linde, email, phase=phase, clinician=fysio)
        with tenant_context(linde.id, db.session):
            row = db.session.get(Patient, patient.id)
            row.enrolled_at = NOW - timedelta(days=120)
            db.session.get(User, row.user_id).last_active_at = NOW
            db.session.commit()
        return patient

    return make


def _change(patient: Patient, **values) -> None:
    with tenant_context(patient.tenant_id, database.session):
        row = database.session.get(Patient, patient.id)
        for name, value in values.items():
            setattr(row, name, value)
        database.session.commit()


def _seen(patient: Patient, moment: datetime) -> None:
    with tenant_context(patient.tenant_id, database.session):
        user = database.session.get(User, database.session.get(Patient, patient.id).user_id)
        user.last_active_at = moment
        database.session.commit()


def _sets(patient: Patient, count: int, *, days_ago: int = 0, level: int = 1) -> None:
    with tenant_context(patient.tenant_id, database.session):
        for n in range(count):
            moment = NOW - timedelta(days=days_ago, minutes=n)
            database.session.add(a_set(patient.tenant_id, patient.id, moment, level))
        database.session.commit()


def _intake(patient: Patient, answers: dict, *, weeks_ago: int = 0) -> Intake:
    with tenant_context(patient.tenant_id, database.session):
        done = complete_intake(database.session.get(Patient, patient.id), answers)
        done.completed_at = NOW - timedelta(weeks=weeks_ago)
        database.session.commit()
        return done


def _alerts(client, pseudonym: str, **args) -> list[str] | None:
    """The alerts on her row of the caseload (None: she is not on the page)."""
    page = client.get(PAGE, query_string={"lang": "en", **args})
    assert page.status_code == 200, page.text
    row = re.search(rf"<tr>((?:(?!</tr>).)*{pseudonym}(?:(?!</tr>).)*)</tr>", page.text, re.S)
    if row is None:
        return None
    return re.findall(r'<span class="badge text-bg-\w+ me-1">([^<]+)</span>', row.group(1))


def test_red_flags_from_the_intake_or_later_until_referred_or_resolved(client, woman):
    anna = woman()
    assert _alerts(client, anna.pseudonym) == []
    _intake(anna, postpartum(12, red_flags=["blood_in_urine"]))
    assert _alerts(client, anna.pseudonym) == ["Red flag"]
    assert _alerts(client, anna.pseudonym, alert="red_flag") == ["Red flag"]
    assert _alerts(client, anna.pseudonym, alert="inactive") is None
    with tenant_context(anna.tenant_id, database.session):
        her = database.session.get(Patient, anna.id)
        followup.confirm_referral(her, followup.open_alert(her), ProviderKind.GP, None)
        database.session.commit()
    assert _alerts(client, anna.pseudonym) == []  # she said she will go: cleared
    with tenant_context(anna.tenant_id, database.session):
        her = database.session.get(Patient, anna.id)
        alert = followup.report_red_flags(her, ["bulge"])
        database.session.commit()
    assert _alerts(client, anna.pseudonym) == ["Red flag"]
    with tenant_context(anna.tenant_id, database.session):
        database.session.merge(alert).resolved_at = NOW  # her clinician called her
        database.session.commit()
    assert _alerts(client, anna.pseudonym) == []


def test_no_improvement_until_resolved(client, woman, fysio):
    anna = woman(phase="training")
    with tenant_context(anna.tenant_id, database.session):
        her = database.session.get(Patient, anna.id)
        alert = followup.raise_alert(her, AlertKind.NO_IMPROVEMENT, ["isi_not_better"], {})
        database.session.commit()
    assert _alerts(client, anna.pseudonym) == ["No improvement"]
    record = client.get(f"/t/linde/staff/patients/{anna.pseudonym}?lang=en")
    assert "isi_not_better" in record.text
    resolve = f"/t/linde/staff/patients/{anna.pseudonym}/alerts/{alert.id}/resolve"
    assert f'action="{resolve}"' in record.text
    assert client.post(resolve).headers["Location"].endswith(anna.pseudonym)
    assert _alerts(client, anna.pseudonym) == []
    with tenant_context(anna.tenant_id, database.session):
        resolved = database.session.merge(alert)
        database.session.refresh(resolved)
        assert resolved.resolved_by == fysio.id
        actions = database.session.scalars(select(AuditEvent.action)).all()
    assert "patient.alert_resolved" in actions
    assert client.post(resolve.replace(str(alert.id), str(alert.id + 999))).status_code == 404


def test_inactive_after_14_days_until_she_practises_again(client, woman):
    anna = woman(phase="training")
    bea = woman("bea@example.nl", phase="referred")  # sent to her GP: not expected here
    _seen(anna, NOW - timedelta(days=13))
    assert _alerts(client, anna.pseudonym) == []
    for patient in (anna, bea):
        _seen(patient, NOW - timedelta(days=15))
    assert _alerts(client, anna.pseudonym) == ["Inactive 14 days"]
    assert _alerts(client, bea.pseudonym) == []
    _sets(anna, 1)  # a set logged (from her phone's queue, without a visit being noted)
    assert _alerts(client, anna.pseudonym) == []
    # Stopped: no alerts at all, whatever the facts.
    _change(bea, stopped_at=NOW - timedelta(days=30), stop_reason="her_request", phase="training")
    assert _alerts(client, bea.pseudonym) == []


def test_control_still_unsure_after_four_weeks_of_awareness_work(client, woman):
    anna = woman()
    _intake(anna, postpartum(12, control_feel="unsure"), weeks_ago=3)
    assert _alerts(client, anna.pseudonym) == []  # three weeks of awareness work: not yet
    with tenant_context(anna.tenant_id, database.session):
        database.session.execute(update(Intake).values(completed_at=NOW - timedelta(weeks=5)))
        database.session.commit()
    assert _alerts(client, anna.pseudonym) == ["Control still unsure"]
    # the re-check she is asked for, still unsure: her four weeks do not start again
    _intake(anna, postpartum(17, control_feel="unsure"), weeks_ago=1)
    assert _alerts(client, anna.pseudonym) == ["Control still unsure"]
    _intake(anna, postpartum(17))  # checked again: clear control, training opens
    assert _alerts(client, anna.pseudonym) == []
    # unsure once more after training opened: her four weeks start again
    _intake(anna, postpartum(18, control_feel="unsure"), weeks_ago=0)
    assert _alerts(client, anna.pseudonym) == []


def test_a_finished_diary_out_of_range_until_one_in_range(client, woman):
    anna = woman()
    three_days_ago = date.today() - timedelta(days=3)

    def diary(voids_a_day: int, starts_on: date) -> None:
        with tenant_context(anna.tenant_id, database.session):
            her = database.session.get(Patient, anna.id)
            kept = diaries.start(her, starts_on, 3)
            for day in diaries.days_of(kept):
                for n in range(voids_a_day):
                    diaries.add(
                        kept,
                        EntryKind.VOID,
                        ZONE,
                        client_id=uuid.uuid4(),
                        day=day,
                        time=time(8 + n, 0),
                        millilitres=350,
                    )
                diaries.add(
                    kept,
                    EntryKind.DRINK,
                    ZONE,
                    client_id=uuid.uuid4(),
                    day=day,
                    time=time(8, 30),
                    millilitres=1700,
                    drink="water",
                )
            database.session.commit()

    diary(12, three_days_ago)  # twelve voids a day: more than typical
    assert _alerts(client, anna.pseudonym) == ["Diary out of range"]
    diary(6, date.today())  # a new one, not finished: the last finished one still counts
    assert _alerts(client, anna.pseudonym) == ["Diary out of range"]
    with tenant_context(anna.tenant_id, database.session):
        kept = diaries.latest(database.session.get(Patient, anna.id))
        kept.starts_on, kept.ends_on = three_days_ago + timedelta(days=1), date.today()
        database.session.commit()
    assert _alerts(client, anna.pseudonym) == []


def test_adherence_severity_and_trend(client, woman):
    anna = woman(phase="training")
    _intake(anna, postpartum(12, isi_frequency="daily", isi_amount="small"))  # ISI 4 x 2 = 8
    with tenant_context(anna.tenant_id, database.session):  # the plan her intake opened
        plan = database.session.scalar(select(TrainingPlan))
        plan.level = plan.highest_level = 2
        plan.practice_started_on = date.today() - timedelta(days=30)
        database.session.commit()
    _sets(anna, 30, days_ago=1)
    _sets(anna, 5, days_ago=20)  # before the fortnight: not counted
    page = client.get(PAGE + "?lang=en")
    assert "30 of 42" in page.text  # 3 sets a day for 14 days
    assert "(71%)" in page.text
    assert re.search(r"<td>8</td>", page.text)  # the intake's ISI, nothing to compare yet

    def reassess(isi: int, days_ago: int) -> None:
        with tenant_context(anna.tenant_id, database.session):
            database.session.add(
                Reassessment(
                    tenant_id=anna.tenant_id,
                    patient_id=anna.id,
                    practice_week=4,
                    answers={},
                    isi=isi,
                    pgi_i=3,
                    completed_at=NOW - timedelta(days=days_ago),
                )
            )
            database.session.commit()

    reassess(6, days_ago=2)
    assert '6 <span class="text-success">&darr; better' in client.get(PAGE + "?lang=en").text
    reassess(9, days_ago=1)
    assert '9 <span class="text-danger">&uarr; worse' in client.get(PAGE + "?lang=en").text


def test_her_patients_search_filter_sort_and_pages(
    client, linde, fysio, woman, make_user, make_patient, db
):
    other = make_user(linde, "collega@linde.nl", "clinician")
    theirs = make_patient(linde, "zoe@example.nl", clinician=other)
    names = {}
    for n in range(28):
        patient = woman(f"w{n:02d}@example.nl", phase="training" if n % 2 else "awareness")
        with tenant_context(linde.id, db.session):
            user = db.session.get(User, db.session.get(Patient, patient.id).user_id)
            user.name = f"Vrouw {n:02d}" + (" 100%_/" if n == 5 else "")  # LIKE's own signs
            db.session.commit()
        names[n] = patient.pseudonym
    first = client.get(PAGE + "?lang=en&sort=name")
    assert "28 patients" in first.text
    assert "Vrouw 00" in first.text
    assert "Vrouw 24" in first.text
    assert "Vrouw 25" not in first.text
    assert theirs.pseudonym not in first.text  # a colleague's patient
    assert "Only my patients" not in first.text  # nothing to narrow: she sees hers alone
    second = client.get(PAGE + "?lang=en&sort=name&page=2")
    assert "Vrouw 25" in second.text
    assert "Vrouw 00" not in second.text
    assert "Vrouw 27" in client.get(PAGE + "?sort=name&page=99").text  # the last page
    found = client.get(PAGE + "?lang=en&q=vrouw+1")
    assert "10 patients" in found.text  # 10 to 19
    by_code = client.get(PAGE, query_string={"q": names[3].lower()})
    assert names[3] in by_code.text
    assert names[4] not in by_code.text
    assert "14 patients" in client.get(PAGE + "?lang=en&phase=training").text
    # LIKE's wildcards and the escape sign are plain characters: only her name has them.
    for sign in ("%", "_", "/", "0%_/"):
        wild = client.get(PAGE, query_string={"lang": "en", "q": sign})
        assert "1 patient<" in wild.text, sign
        assert "Vrouw 05 100%_/" in wild.text
    assert "0 patients" in client.get(PAGE, query_string={"lang": "en", "q": "0_"}).text
    bad = client.get(PAGE + "?lang=en&sort=sideways&alert=purple&page=0")
    assert bad.status_code == 400
    assert "Not a valid choice" in bad.text
    # The practice opens every patient to every clinician: the colleague's shows too.
    db.session.get(Tenant, linde.id).clinicians_see_all_patients = True
    db.session.commit()
    everyone = client.get(PAGE + "?lang=en")
    assert "29 patients" in everyone.text
    assert "Only my patients" in everyone.text
    assert "28 patients" in client.get(PAGE + "?lang=en&mine=y").text  # hers alone again
    _change(theirs, erased_at=NOW, user_id=None)  # an erased woman is nobody's patient
    assert "28 patients" in client.get(PAGE + "?lang=en").text


def _many(tenant, clinician, count: int) -> None:
    """`count` women with a history (sets, an intake, a reassessment, an alert), in bulk."""
    with tenant_context(tenant.id, database.session):
        start = database.session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) or 0
        users = [
            {
                "tenant_id": tenant.id,
                "email": f"bulk{start + n}@example.nl",
                "name": f"Bulk {n}",
                "active": True,
                "session_token": uuid.uuid4().hex,
                "last_active_at": NOW - timedelta(days=n % 30),
            }
            for n in range(count)
        ]
        ids = database.session.scalars(insert(User).returning(User.id), users).all()
        database.session.execute(insert(UserRole), [{"user_id": i, "role": "patient"} for i in ids])
        patients = database.session.scalars(
            insert(Patient).returning(Patient.id),
            [
                {
                    "tenant_id": tenant.id,
                    "user_id": i,
                    "pseudonym": f"PB{i:07d}",
                    "birth_year": 1990,
                    "phase": "training",
                    "clinician_id": clinician.id,
                }
                for i in ids
            ],
        ).all()
        database.session.execute(
            insert(ExerciseSession),
            [
                {
                    "tenant_id": tenant.id,
                    "patient_id": p,
                    "client_id": str(uuid.uuid4()),
                    "performed_at": NOW - timedelta(days=d),
                    "day": (NOW - timedelta(days=d)).date(),
                    "level": 1,
                    "completion": "fully",
                    "effort": "right",
                    "leaked": False,
                    "received_at": NOW,
                }
                for p in patients
                for d in (1, 3)
            ],
        )
        database.session.execute(
            insert(Reassessment),
            [
                {
                    "tenant_id": tenant.id,
                    "patient_id": p,
                    "practice_week": 4,
                    "answers": {},
                    "isi": 4,
                    "pgi_i": 2,
                    "completed_at": NOW,
                }
                for p in patients
            ],
        )
        for p in patients[::7]:
            followup.raise_alert(
                database.session.get(Patient, p), AlertKind.NO_IMPROVEMENT, ["x"], {}
            )
        database.session.commit()


def test_statements_do_not_grow_with_the_caseload(client, linde, fysio, count_queries):
    _many(linde, fysio, 10)
    client.get(PAGE)  # the program version, parsed once per process
    with count_queries() as ten:
        assert client.get(PAGE + "?sort=severity").status_code == 200
    _many(linde, fysio, 490)
    with count_queries() as five_hundred:
        page = client.get(PAGE + "?sort=severity&lang=en")
    assert "500 patients" in page.text
    assert page.text.count("No improvement") >= 3
    assert five_hundred.count == ten.count, "\n".join(five_hundred.statements)
