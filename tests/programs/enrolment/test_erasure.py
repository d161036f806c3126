"""Her account deleted: no table holds her e-mail address or her name any more, nothing links
her pseudonym to her, nor does Redis hold her address; what she did stays, under the pseudonym."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, time, timedelta

import redis
from rq import Queue
from sqlalchemy import JSON, String, Text, cast, func, or_, select

from pelvicoach.platform import outbox
from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.jobs import QUEUES
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment import erasure, invitations
from pelvicoach.programs.enrolment.models import Consent, Patient
from pelvicoach.programs.reminders import services as reminders

PASSWORD = "mijn-eigen-wachtwoord"
CONSENTS = {"terms": "y", "privacy": "y", "health_data": "y"}
EMAIL = "zwaantje.pijl@voorbeeld.nl"
NAME = "Zwaantje Erasmus-Pijl"


def _text_columns():
    for table in database.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON):
                yield table, column


def _rows_naming_her(db) -> list[tuple[str, str]]:
    found = []
    for table, column in _text_columns():
        text = func.lower(cast(column, Text))
        hits = db.session.execute(
            select(func.count())
            .select_from(table)
            .where(or_(text.contains(EMAIL.lower()), text.contains(NAME.lower())))
        ).scalar()
        if hits:
            found.append((table.name, column.name))
    return found


def test_erasure_leaves_her_in_no_table_and_not_in_redis(
    app, client, make_tenant, make_user, sign_in_staff, db, run_jobs, redis_url
):
    tenant = make_tenant("linde")
    make_user(tenant, "fysio@linde.nl", "clinician")
    sign_in_staff("linde", make_user(tenant, "eva@linde.nl", "enrolment"))
    # The desk invites her; a file names her again (refused: she has an account by then).
    client.post(
        "/t/linde/staff/enrolment/",
        data={
            "name": NAME,
            "email": EMAIL,
            "cohort": "postpartum",
            "birth_year": "1993",
            "delivery_date": "2026-09-01",
            "clinician": "fysio@linde.nl",
        },
    )
    upload = client.post(
        "/t/linde/staff/enrolment/imports",
        data={
            "file": (
                io.BytesIO(f"naam;e-mailadres;geboortejaar\n{NAME};{EMAIL};1993\n".encode()),
                "lijst.csv",
            )
        },
        content_type="multipart/form-data",
    )
    run_jobs()
    assert upload.status_code == 302
    body = db.session.scalar(select(OutgoingMail.body).where(OutgoingMail.recipient == EMAIL))
    link = re.search(r"https?://\S+(/t/linde/welcome/\S+)", body).group(1)
    her = app.test_client()
    her.post(link, data={"password": PASSWORD, "confirm": PASSWORD, **CONSENTS})
    assert "Zwaantje" in her.get("/t/linde/").text
    # She writes to her clinician, signing with her name.
    assert her.post("/t/linde/messages", data={"body": f"Groeten, {NAME}"}).status_code == 302
    pseudonym = db.session.scalar(select(Patient.pseudonym))
    assert _rows_naming_her(db)  # the scan finds her before

    wrong = her.post("/t/linde/my-data/delete?lang=en", data={"password": "niet-mijn-wachtwoord"})
    assert wrong.status_code == 422
    assert "This is not your password." in wrong.text
    gone = her.post("/t/linde/my-data/delete", data={"password": PASSWORD})
    assert gone.status_code == 200
    assert "Your account is deleted" in gone.text  # in the language she chose above
    run_jobs()

    db.session.expire_all()
    assert _rows_naming_her(db) == []
    patient = db.session.scalar(select(Patient))
    assert (patient.pseudonym, patient.user_id, patient.delivery_date) == (pseudonym, None, None)
    assert patient.erased_at is not None
    assert all(c.withdrawn_at is not None for c in db.session.scalars(select(Consent)))
    erased = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.erased"))
    assert erased.object_id == pseudonym
    # Signed out, and her password opens nothing.
    assert her.get("/t/linde/my-data").headers["Location"].startswith("/t/linde/login")
    again = app.test_client().post("/t/linde/login", data={"email": EMAIL, "password": PASSWORD})
    assert again.status_code == 200  # the form again: no account answers to her address
    connection = redis.Redis.from_url(redis_url)
    for key in connection.scan_iter():
        assert EMAIL.encode() not in key
        if connection.type(key) == b"string":
            assert EMAIL.encode() not in (connection.get(key) or b"")


def test_erasure_reaches_jobs_already_queued_for_her(
    mail_app, make_tenant, make_patient, platform_twin, run_jobs, db, redis_url
):
    """A mail to her and a reminder batch naming her, both waiting in Redis when she is erased:
    the worker then finds nothing to send, and Redis holds nothing of her."""
    linde = make_tenant("linde")
    patient = make_patient(linde, EMAIL, phase="training")
    evening = datetime(2026, 1, 4, 20, tzinfo=UTC)
    with tenant_context(linde.id, db.session):
        her = db.session.merge(patient)
        plan = reminders.plan_for(her, "Europe/Amsterdam")
        reminders.choose(plan, list(range(7)), [time(8)], "Europe/Amsterdam", None, now=evening)
        invitations.invite(
            her, invited_by=None, link="https://x.nl/{}".format, site_name="Linde", locale="nl"
        )
        db.session.commit()
        due = plan.next_at
    with platform_twin(mail_app).app_context():
        outbox.relay()  # her mail's job, into Redis
        reminders.dispatch(due + timedelta(seconds=30))  # her reminder's batch, into Redis
    connection = redis.Redis.from_url(redis_url)
    assert sum(Queue(name, connection=connection).count for name in QUEUES) == 2
    with tenant_context(linde.id, db.session):
        erasure.erase(db.session.merge(patient))
        db.session.commit()
    assert run_jobs(mail_app) == 2  # both ran, and found nothing of hers to do
    assert mail_app.mailbox.messages == []
    for key in connection.scan_iter():
        if connection.type(key) == b"hash":
            assert not [v for v in connection.hvals(key) if EMAIL.encode() in v], key
        elif connection.type(key) == b"string":
            assert EMAIL.encode() not in (connection.get(key) or b"")
