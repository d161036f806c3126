"""The rollups of sets kept by the database on PostgreSQL: per day (practice_days), where every way
a set arrives counts once per day of hers, a set stored twice counts once, a deleted set is taken
off, and erasing her takes her days with her; per woman, the weeks since enrolment in which she
practised (practice_weeks), counted from her day of enrolment in her tenant's time zone; per
reminder or nudge, whether a set followed it that day or the next."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, update
from training_history import a_set

from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.reminders.models import ReminderSend, SendKind
from pelvicoach.programs.training.models import (
    Completion,
    Effort,
    ExerciseSession,
    PracticeDay,
    PracticeWeeks,
)
from pelvicoach.programs.training.services import log_session, plan_for

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def days_of(db, patient) -> dict:
    rows = db.session.execute(
        select(PracticeDay.day, PracticeDay.sets).where(PracticeDay.patient_id == patient.id)
    )
    return dict(rows.all())


def test_every_way_a_set_arrives_counts_once_a_day(make_tenant, make_patient, db):
    linde = make_tenant("linde")
    her = make_patient(linde, "lotte@example.nl", phase="training")
    late = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)  # already 3 November in Amsterdam
    with tenant_context(linde.id, db.session):
        plan = plan_for(her)
        same = uuid.uuid4()
        for client_id in (same, same, uuid.uuid4()):  # the first sent twice: stored once
            log_session(
                her,
                plan,
                client_id=client_id,
                level=1,
                completion=Completion.FULLY,
                effort=Effort.RIGHT,
                leaked=False,
                zone=AMSTERDAM,
                performed_at=late,
            )
        # A seed's executemany: one statement for many rows
        earlier = datetime(2026, 10, 20, 9, tzinfo=UTC)
        rows = [
            {
                column.key: getattr(
                    a_set(linde.id, her.id, earlier + timedelta(days=n % 2)), column.key
                )
                for column in ExerciseSession.__table__.columns
                if column.key != "id"
            }
            for n in range(5)
        ]
        db.session.execute(insert(ExerciseSession), rows)
        db.session.commit()
        days = days_of(db, her)
    assert days == {
        late.astimezone(AMSTERDAM).date(): 2,
        earlier.date(): 3,
        (earlier + timedelta(days=1)).date(): 2,
    }


def test_a_deleted_set_is_taken_off_and_erasure_takes_her_days(make_tenant, make_patient, db):
    linde = make_tenant("linde")
    her = make_patient(linde, "iris@example.nl", phase="training")
    other = make_patient(linde, "fatima@example.nl", phase="training")
    when = datetime(2026, 11, 5, 10, tzinfo=UTC)
    with tenant_context(linde.id, db.session):
        first, second = a_set(linde.id, her.id, when), a_set(linde.id, her.id, when)
        db.session.add_all([first, second, a_set(linde.id, other.id, when)])
        db.session.commit()
        db.session.execute(delete(ExerciseSession).where(ExerciseSession.id == first.id))
        db.session.commit()
        assert days_of(db, her) == {when.date(): 1}
        db.session.execute(delete(ExerciseSession).where(ExerciseSession.id == second.id))
        db.session.commit()
        assert days_of(db, her) == {}  # no day of nought sets left behind
        db.session.delete(other)
        db.session.commit()
        assert (
            db.session.scalar(select(PracticeDay).where(PracticeDay.patient_id == other.id)) is None
        )


def test_her_day_keeps_its_newest_set_as_sets_come_and_go(make_tenant, make_patient, db):
    """The caseload's "last active" reads her newest set from her newest practice day."""
    linde = make_tenant("linde")
    her = make_patient(linde, "lotte@example.nl", phase="training")
    morning = datetime(2026, 11, 5, 8, tzinfo=UTC)
    noon, evening = morning + timedelta(hours=4), morning + timedelta(hours=11)

    def newest() -> dict:
        db.session.expire_all()
        rows = db.session.execute(
            select(PracticeDay.day, PracticeDay.last_at).where(PracticeDay.patient_id == her.id)
        )
        return dict(rows.all())

    with tenant_context(linde.id, db.session):
        latest = a_set(linde.id, her.id, evening)
        db.session.add_all([a_set(linde.id, her.id, noon), latest])
        db.session.commit()
        db.session.add(a_set(linde.id, her.id, morning))  # logged later, done earlier
        db.session.commit()
        assert newest() == {morning.date(): evening}
        db.session.execute(delete(ExerciseSession).where(ExerciseSession.id == latest.id))
        db.session.commit()
        assert newest() == {morning.date(): noon}  # found again from the sets left


def set_on(tenant, patient, day: date) -> ExerciseSession:
    """A set she logged on `day` of hers (at midnight UTC)."""
    logged = a_set(tenant.id, patient.id, datetime.combine(day, datetime.min.time(), UTC))
    logged.day = day
    return logged


def weeks_of(db, patient) -> int | None:
    return db.session.scalar(
        select(PracticeWeeks.weeks).where(PracticeWeeks.patient_id == patient.id)
    )


def test_her_weeks_since_enrolment_in_her_time_zone(make_tenant, make_patient, db):
    linde = make_tenant("linde")
    her = make_patient(linde, "lotte@example.nl", phase="training")
    other = make_patient(linde, "iris@example.nl", phase="training")
    # 23:30 UTC on 2 November is 3 November in Amsterdam: her first day
    enrolled = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)

    def on(day: date, patient=her) -> ExerciseSession:
        return set_on(linde, patient, day)

    with tenant_context(linde.id, db.session):
        db.session.execute(update(Patient).values(enrolled_at=enrolled))
        db.session.add_all(
            [
                on(date(2026, 11, 2)),  # before her first day: no week of hers
                on(date(2026, 11, 9)),  # day 6: week 1 (day 7, week 2, if counted in UTC)
                on(date(2026, 11, 9)),
                on(date(2026, 11, 10)),  # week 2
                on(date(2027, 1, 25)),  # day 83: week 12, the curve's last
                on(date(2027, 1, 26)),  # day 84: past the curve
                on(date(2026, 11, 17), other),  # her week 3
            ]
        )
        db.session.commit()
        assert weeks_of(db, her) == 0b1000_0000_0011
        assert weeks_of(db, other) == 0b100
        # A seed's executemany of a new day adds its week
        week_5 = on(date(2026, 12, 3))
        db.session.execute(
            insert(ExerciseSession),
            [
                {
                    c.key: getattr(week_5, c.key)
                    for c in ExerciseSession.__table__.columns
                    if c.key != "id"
                }
            ],
        )
        db.session.commit()
        assert weeks_of(db, her) == 0b1000_0001_0011
        # One of two sets on a day going leaves the week; the day's last set going takes it off
        db.session.execute(
            delete(ExerciseSession).where(
                ExerciseSession.id
                == db.session.scalar(
                    select(ExerciseSession.id)
                    .where(
                        ExerciseSession.patient_id == her.id,
                        ExerciseSession.day == date(2026, 11, 9),
                    )
                    .limit(1)
                )
            )
        )
        db.session.commit()
        assert weeks_of(db, her) == 0b1000_0001_0011
        db.session.execute(
            delete(ExerciseSession).where(
                ExerciseSession.patient_id == her.id,
                ExerciseSession.day.in_([date(2026, 11, 9), date(2027, 1, 25)]),
            )
        )
        db.session.commit()
        assert weeks_of(db, her) == 0b0001_0010
        assert weeks_of(db, other) == 0b100  # hers alone were counted again


def test_a_message_is_answered_by_a_set_that_day_or_the_next(make_tenant, make_patient, db):
    linde = make_tenant("linde")
    her = make_patient(linde, "lotte@example.nl", phase="training")

    def on(day: date) -> ExerciseSession:
        return set_on(linde, her, day)

    def answered() -> dict[str, bool]:
        db.session.expire_all()
        return dict(db.session.execute(select(ReminderSend.slot, ReminderSend.returned)).all())

    with tenant_context(linde.id, db.session):
        for slot, day in (("a", date(2026, 11, 10)), ("b", date(2026, 11, 12))):
            moment = datetime.combine(day, datetime.min.time(), UTC)
            db.session.add(
                ReminderSend(
                    tenant_id=linde.id,
                    patient_id=her.id,
                    kind=SendKind.REMINDER,
                    slot=slot,
                    created_at=moment,
                    sent_at=moment,
                    day=day,
                )
            )
        db.session.add(on(date(2026, 11, 9)))  # the day before: no answer
        db.session.commit()
        assert answered() == {"a": False, "b": False}
        next_day = on(date(2026, 11, 11))  # the day after a, the day before b
        db.session.add(next_day)
        db.session.commit()
        assert answered() == {"a": True, "b": False}
        db.session.add_all([on(date(2026, 11, 12)), on(date(2026, 11, 12))])
        db.session.commit()
        assert answered() == {"a": True, "b": True}
        db.session.execute(delete(ExerciseSession).where(ExerciseSession.id == next_day.id))
        db.session.commit()
        assert answered() == {"a": False, "b": True}
