"""Training in the portal: the guided set, the two-tap log (form and offline JSON), progression
offered after enough logged days, her level choice within limits, progress, bladder training."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from conftest import PASSWORD, her_today
from sqlalchemy import select
from training_history import add_sets

from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.training.models import ExerciseSession, TrainingPlan


def _plan(tenant, patient) -> TrainingPlan:
    database.session.expire_all()  # read what the requests wrote, not what this session saw
    with tenant_context(tenant.id, database.session):
        return database.session.scalar(
            select(TrainingPlan).where(TrainingPlan.patient_id == patient.id)
        )


def _sessions(tenant, patient) -> list[ExerciseSession]:
    with tenant_context(tenant.id, database.session):
        return list(
            database.session.scalars(
                select(ExerciseSession)
                .where(ExerciseSession.patient_id == patient.id)
                .order_by(ExerciseSession.id)
            )
        )


def _history(tenant, patient, days: list[int], level: int = 1, sets: int = 3, **kind) -> None:
    """Sets she logged `days` days ago (time moved by writing the past, not by sleeping)."""
    with tenant_context(tenant.id, database.session):
        add_sets(tenant.id, patient.id, days, level, sets, **kind)
        database.session.commit()


def _backdate_plan(tenant, patient, days: int) -> None:
    with tenant_context(tenant.id, database.session):
        plan = database.session.scalar(
            select(TrainingPlan).where(TrainingPlan.patient_id == patient.id)
        )
        plan.level_since -= timedelta(days=days)
        if plan.bladder_week_started_on:
            plan.bladder_week_started_on -= timedelta(days=days)
        database.session.commit()


def _form(page: str) -> dict:
    return {
        "client_id": re.search(r'name="client_id" value="([^"]+)"', page).group(1),
        "level": re.search(r'name="level" value="(\d+)"', page).group(1),
    }


def test_training_stays_locked_until_the_intake_unlocks_it(client, linde, patient_in):
    patient_in()
    page = client.get("/t/linde/training?lang=en")
    assert page.status_code == 200
    assert "opens after the questions" in page.text
    assert "data-timeline" not in page.text
    log = {"client_id": str(uuid.uuid4()), "level": "1", "effort": "right"}
    assert client.post("/t/linde/training/log", data=log).status_code == 403
    assert client.get("/t/linde/progress").status_code == 200
    assert client.get("/t/linde/training/level-1.mp3").status_code == 200  # the locked page
    assert client.get("/t/linde/training/level-1.mp3").mimetype == "text/html"


def test_a_set_is_logged_in_two_taps_and_once_only(client, linde, trainee):
    patient = trainee()
    page = client.get("/t/linde/training?lang=en")
    assert "Level 1: Basic 1" in page.text
    assert "Today: 0 of 3 sets done" in page.text
    form = _form(page.text)
    first = client.post(
        "/t/linde/training/log",
        data={**form, "completion": "partly", "effort": "easy", "leaked": "true"},
    )
    assert first.status_code == 302
    again = client.post("/t/linde/training/log", data={**form, "effort": "too_hard"})
    assert again.status_code == 302
    (stored,) = _sessions(linde, patient)
    assert (stored.level, stored.completion, stored.effort, stored.leaked) == (
        1,
        "partly",
        "easy",
        True,
    )
    assert stored.day == her_today()
    after = client.get("/t/linde/training?lang=en")
    assert "Saved. Well done!" in after.text
    assert "Today: 0 of 3 sets done" in after.text  # a partly done set does not count
    client.post("/t/linde/training/log", data={**_form(after.text), "effort": "right"})
    assert "Today: 1 of 3 sets done" in client.get("/t/linde/training?lang=en").text
    assert _plan(linde, patient).practice_started_on == her_today()


def test_an_offline_log_arrives_as_json_once(client, linde, trainee):
    patient = trainee()
    client.get("/t/linde/training")
    log = {
        "client_id": str(uuid.uuid4()),
        "performed_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
        "level": 1,
        "completion": "fully",
        "effort": "right",
        "leaked": False,
    }
    first = client.post("/t/linde/training/log", json=log)
    assert (first.status_code, first.json["stored"]) == (201, True)
    replay = client.post("/t/linde/training/log", json=log)
    assert (replay.status_code, replay.json["stored"]) == (200, False)
    (stored,) = _sessions(linde, patient)
    assert stored.day == her_today() - timedelta(days=2)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"effort": "exhausting"}, "effort"),
        ({"level": 13}, "level"),
        ({"level": 0}, "level"),
        ({"performed_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, "performed_at"),
        ({"performed_at": (datetime.now(UTC) - timedelta(days=30)).isoformat()}, "performed_at"),
        ({"performed_at": "yesterday"}, "performed_at"),
    ],
)
def test_a_bad_log_gets_problem_details_and_stores_nothing(client, linde, trainee, change, field):
    patient = trainee()
    log = {"client_id": str(uuid.uuid4()), "level": 1, "effort": "right", **change}
    response = client.post("/t/linde/training/log", json=log)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]
    assert _sessions(linde, patient) == []


def test_a_form_without_an_answer_says_what_to_do(client, linde, trainee):
    patient = trainee()
    form = _form(client.get("/t/linde/training").text)
    response = client.post("/t/linde/training/log?lang=en", data=form, follow_redirects=True)
    assert "Choose how hard it was" in response.text
    assert _sessions(linde, patient) == []


def test_enough_logged_days_offer_the_next_level_and_she_decides(client, linde, trainee):
    patient = trainee()
    client.get("/t/linde/training")
    _backdate_plan(linde, patient, 10)
    _history(linde, patient, [1, 2, 3, 5])  # 4 days of 3 sets
    _history(linde, patient, [0], sets=2)  # and 2 sets today
    page = client.get("/t/linde/training?lang=en")
    assert "Ready for the next level" not in page.text
    assert "So far: 4." in page.text
    client.post("/t/linde/training/log", data={**_form(page.text), "effort": "right"})
    page = client.get("/t/linde/training?lang=en")
    assert "Ready for the next level" in page.text
    assert "Go to level 2" in page.text
    # beyond what she may choose: the level after next
    choose = client.get("/t/linde/training/level?lang=en")
    assert re.search(r'id="level-3" value="3"\s+disabled', choose.text)
    assert not re.search(r'id="level-2" value="2"\s+disabled', choose.text)
    refused = client.post(
        "/t/linde/training/level?lang=en", data={"level": "3"}, follow_redirects=True
    )
    assert "Choose one of the levels shown." in refused.text
    assert _plan(linde, patient).level == 1
    moved = client.post(
        "/t/linde/training/level?lang=en", data={"level": "2"}, follow_redirects=True
    )
    assert "You now train at level 2." in moved.text
    assert "Level 2: Basic 2" in moved.text
    assert "Ready for the next level" not in moved.text  # a new level starts afresh
    plan = _plan(linde, patient)
    assert (plan.level, plan.highest_level) == (2, 2)
    # she may go back down, and up again to what she reached
    client.post("/t/linde/training/level", data={"level": "1"})
    assert client.post("/t/linde/training/level", data={"level": "3"}).status_code == 302
    assert _plan(linde, patient).level == 3


def test_sets_too_hard_twice_suggest_a_step_back(client, linde, trainee):
    patient = trainee()
    client.get("/t/linde/training")
    client.post("/t/linde/training/level", data={"level": "2"})
    for _ in range(2):
        form = _form(client.get("/t/linde/training").text)
        client.post("/t/linde/training/log", data={**form, "effort": "too_hard"})
    page = client.get("/t/linde/training?lang=en")
    assert "A step back for now?" in page.text
    assert "Go back to level 1" in page.text
    assert [s.level for s in _sessions(linde, patient)] == [2, 2]
    client.post("/t/linde/training/level", data={"level": "1"})
    for _ in range(2):  # too hard at the first level too: a physio looks, nowhere to go back to
        form = _form(client.get("/t/linde/training").text)
        client.post("/t/linde/training/log", data={**form, "effort": "too_hard"})
    page = client.get("/t/linde/training?lang=en")
    assert "Ask a pelvic physiotherapist to look" in page.text
    assert "/t/linde/care?kind=pelvic_physio" in page.text
    assert "Go back to level" not in page.text


def test_the_progress_page_shows_days_levels_and_what_to_expect(client, linde, trainee):
    patient = trainee()
    client.get("/t/linde/training")
    _history(linde, patient, [0, 1, 2, 6], sets=1)
    page = client.get("/t/linde/progress?lang=en")
    assert page.status_code == 200
    assert "You practised on 4 days in the last 4 weeks." in page.text
    assert "Right now: 3 days in a row." in page.text
    assert page.text.count('class="pc-day-done') == 4
    assert "You train at level 1 of 12." in page.text
    assert "What to expect" in page.text
    assert "3 to 6 months" in page.text
    dutch = client.get("/t/linde/progress?lang=nl")
    assert "Wat je kunt verwachten" in dutch.text


def test_level_audio_is_rendered_from_the_players_timeline(client, linde, trainee, run_jobs):
    trainee()
    page = client.get("/t/linde/training")
    assert client.get("/t/linde/training/level-3.mp3").status_code == 503
    assert run_jobs() == 1
    mp3 = client.get("/t/linde/training/level-3.mp3")
    assert mp3.mimetype == "audio/mpeg"
    assert 'level-1.mp3"' in page.text
    assert client.get("/t/linde/training/level-13.mp3").status_code == 404


def test_the_session_log_post_does_a_bounded_number_of_statements(
    client, linde, trainee, count_queries
):
    patient = trainee()
    page = client.get("/t/linde/training")
    client.post("/t/linde/training/log", data={**_form(page.text), "effort": "right"})
    page = client.get("/t/linde/training")
    with count_queries() as early:
        client.post("/t/linde/training/log", data={**_form(page.text), "effort": "right"})
    _history(linde, patient, list(range(1, 20)))
    page = client.get("/t/linde/training")
    with count_queries() as later:
        client.post("/t/linde/training/log", data={**_form(page.text), "effort": "right"})
    # tenant, binding, user, her standing, her plan, the insert; after the commit the
    # binding and user again for the redirect's session bookkeeping
    assert later.count == early.count <= 8, "\n".join(later.statements)
    assert len(_sessions(linde, patient)) == 2 + 19 * 3 + 1


def test_bladder_training_for_urge_week_by_week(client, linde, trainee):
    patient = trainee(urge=True)
    page = client.get("/t/linde/training?lang=en")
    assert "Bladder training" in page.text
    bladder = client.get("/t/linde/bladder-training?lang=en")
    assert "You begin with every 60 minutes." in bladder.text
    assert "When you suddenly need to go" in bladder.text
    client.post("/t/linde/bladder-training/start")
    started = client.get("/t/linde/bladder-training?lang=en")
    assert "Go to the toilet every 60 minutes." in started.text
    assert "Week 1 of 9." in started.text
    early = client.post("/t/linde/bladder-training/tick?lang=en", follow_redirects=True)
    assert "once you have kept to it for a week" in early.text
    assert _plan(linde, patient).bladder_weeks_done == 0
    _backdate_plan(linde, patient, 7)
    ticked = client.post("/t/linde/bladder-training/tick?lang=en", follow_redirects=True)
    assert "From now on: every 75 minutes." in ticked.text
    assert "Week 2 of 9." in ticked.text
    client.post("/t/linde/bladder-training/start")  # starting again changes nothing
    assert _plan(linde, patient).bladder_weeks_done == 1


def test_no_bladder_training_without_urge_unless_her_clinician_switches_it_on(
    client, linde, trainee
):
    patient = trainee()
    assert "Bladder training" not in client.get("/t/linde/training?lang=en").text
    assert client.get("/t/linde/bladder-training").status_code == 404
    assert client.post("/t/linde/bladder-training/start").status_code == 404
    with tenant_context(linde.id, database.session):
        plan = database.session.scalar(
            select(TrainingPlan).where(TrainingPlan.patient_id == patient.id)
        )
        plan.bladder_training = True  # as her clinician's switch does
        database.session.commit()
    assert "Bladder training" in client.get("/t/linde/training?lang=en").text
    assert client.get("/t/linde/bladder-training").status_code == 200


def test_her_clinician_switches_the_bladder_training_her_intake_opened_off(
    client, app, linde, trainee, make_user
):
    patient = trainee(urge=True)
    assert _plan(linde, patient).bladder_training  # her intake opened it, on her plan
    assert client.get("/t/linde/bladder-training").status_code == 200
    fysio = make_user(linde, "fysio@linde.nl", "clinician")
    with tenant_context(linde.id, database.session):
        database.session.get(Patient, patient.id).clinician_id = fysio.id
        database.session.commit()
    staff = app.test_client()
    staff.post("/t/linde/login", data={"email": fysio.email, "password": PASSWORD})
    staff.post("/t/linde/login/verify", data={"code": pyotp.TOTP(fysio.totp_secret).now()})
    record = f"/t/linde/staff/patients/{patient.pseudonym}"
    assert "Bladder training: <strong>on</strong>" in staff.get(f"{record}?lang=en").text
    change = {"change": "bladder_off", "reason": "Geen aandrang meer"}
    assert staff.post(f"{record}/plan", data=change).status_code == 302
    assert "Bladder training: <strong>off</strong>" in staff.get(f"{record}?lang=en").text
    assert client.get("/t/linde/bladder-training").status_code == 404
    assert "Bladder training" not in client.get("/t/linde/training?lang=en").text
