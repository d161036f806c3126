"""Messages between a woman and her clinician: each side counts what it has not read, the
e-mail that announces a message carries no word of it (and comes once per unread run), the
caseload shows a message waiting, and nobody outside her care reads or writes her thread."""

from __future__ import annotations

from sqlalchemy import select

from pelvicoach.platform.audit import AuditEvent
from pelvicoach.platform.mail import OutgoingMail
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.monitoring.models import Message

SECRET = "Ik verlies nog steeds urine bij het hardlopen"
REPLY = "Probeer de knack voor je gaat rennen"
WAITING = 'me-1">Message waiting</span>'  # the badge on her row, not the filter's option


def _mails(db, tenant, purpose: str = "message_waiting") -> list[OutgoingMail]:
    db.session.expire_all()
    with tenant_context(tenant.id, db.session):
        return db.session.scalars(
            select(OutgoingMail).where(OutgoingMail.purpose == purpose).order_by(OutgoingMail.id)
        ).all()


def test_a_thread_between_her_and_her_clinician(
    app, client, make_tenant, make_user, make_patient, sign_in_staff, db
):
    linde = make_tenant("linde")
    fysio = make_user(linde, "fysio@linde.nl", "clinician")
    anna = make_patient(linde, "anna@example.nl", phase="training", clinician=fysio)
    her = app.test_client()
    assert (
        her.post(
            "/t/linde/login",
            data={"email": "anna@example.nl", "password": "correct-horse-battery-staple"},
        ).status_code
        == 302
    )
    assert "No messages yet." in her.get("/t/linde/messages?lang=en").text

    assert her.post("/t/linde/messages", data={"body": "   "}).status_code == 422
    too_long = her.post("/t/linde/messages", data={"body": "x" * 2001})
    assert too_long.status_code == 422
    assert her.post("/t/linde/messages", data={"body": SECRET}).status_code == 302
    assert her.post("/t/linde/messages", data={"body": "En nog iets"}).status_code == 302
    (told,) = _mails(db, linde)  # one announcement for the two
    assert told.recipient == "fysio@linde.nl"
    assert SECRET not in told.body
    assert "hardlopen" not in told.body
    assert f"/t/linde/staff/patients/{anna.pseudonym}#messages" in told.body

    sign_in_staff("linde", fysio)
    caseload = client.get("/t/linde/staff/patients/?lang=en")
    assert WAITING in caseload.text
    record = client.get(f"/t/linde/staff/patients/{anna.pseudonym}?lang=en")
    assert SECRET in record.text
    assert "En nog iets" in record.text
    assert WAITING not in client.get("/t/linde/staff/patients/?lang=en").text

    assert (
        client.post(
            f"/t/linde/staff/patients/{anna.pseudonym}/messages", data={"body": ""}
        ).status_code
        == 422
    )
    sent = client.post(f"/t/linde/staff/patients/{anna.pseudonym}/messages", data={"body": REPLY})
    assert sent.headers["Location"].endswith(f"/{anna.pseudonym}#messages")
    to_her = _mails(db, linde)[-1]
    assert to_her.recipient == "anna@example.nl"
    assert REPLY not in to_her.body
    assert "/t/linde/messages" in to_her.body
    home = her.get("/t/linde/?lang=en")
    assert "Your clinician sent you a message." in home.text
    assert "1 new" in home.text
    thread = her.get("/t/linde/messages?lang=en")
    assert thread.text.index(SECRET) < thread.text.index(REPLY)  # oldest first
    assert "sent you a message" not in her.get("/t/linde/?lang=en").text  # read now
    with tenant_context(linde.id, db.session):
        rows = db.session.scalars(select(Message).order_by(Message.id)).all()
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert [(m.from_patient, m.read_at is not None) for m in rows] == [
        (True, True),
        (True, True),
        (False, True),
    ]
    assert rows[2].author_id == fysio.id
    assert "patient.message_sent" in actions
    assert "patient.read" in actions


def test_nobody_outside_her_care_reads_or_writes_her_thread(
    client, make_tenant, make_user, make_patient, sign_in_staff, db
):
    linde = make_tenant("linde")
    fysio = make_user(linde, "fysio@linde.nl", "clinician")
    anna = make_patient(linde, "anna@example.nl", clinician=fysio)
    with tenant_context(linde.id, db.session):
        db.session.add(
            Message(
                tenant_id=linde.id,
                patient_id=anna.id,
                author_id=anna.user_id,
                from_patient=True,
                body=SECRET,
                created_at=anna.enrolled_at,
            )
        )
        db.session.commit()
    sign_in_staff("linde", make_user(linde, "collega@linde.nl", "clinician"))
    record = client.get(f"/t/linde/staff/patients/{anna.pseudonym}")
    assert record.status_code == 403
    assert SECRET not in record.text
    post = client.post(f"/t/linde/staff/patients/{anna.pseudonym}/messages", data={"body": "Hoi"})
    assert post.status_code == 403
    with tenant_context(linde.id, db.session):
        assert db.session.scalar(select(Message.read_at)) is None  # not marked read either
