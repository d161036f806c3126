"""The daily rollup of sets (practice_days) kept by the database on PostgreSQL: every way a set
arrives counts once per day of hers, a set stored twice counts once, a deleted set is taken off,
and erasing her takes her days with her."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select
from training_history import a_set

from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.training.models import (
    Completion,
    Effort,
    ExerciseSession,
    PracticeDay,
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
