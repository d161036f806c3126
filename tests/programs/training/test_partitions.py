"""The session log partitioned by month on PostgreSQL (migration 0027): a set lands in its
month, the months ahead are made by the scheduler's job (the platform role, never the web's),
a day no month covered yet waits in the default partition and moves into its month when that is
made, a set sent twice is stored once even across her midnight, and old months are detached
whole by the owner while the reports keep counting them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import ProgrammingError
from training_history import a_set

from pelvicoach.platform.extensions import db as database
from pelvicoach.platform.tenancy import tenant_context
from pelvicoach.programs.training import partitions
from pelvicoach.programs.training.models import Completion, Effort, ExerciseSession, PracticeDay
from pelvicoach.programs.training.services import log_session, plan_for

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LONG_AGO = date(2001, 1, 1)  # months of this test's own, far from every other test's sets


def where_stored(owner_engine) -> dict[str, int]:
    """Sets per partition, as the owner sees the tables."""
    with owner_engine.connect() as connection:
        connection.exec_driver_sql("SELECT set_config('app.cross_tenant', 'on', false)")
        rows = connection.execute(
            text("SELECT tableoid::regclass::text, count(*) FROM exercise_sessions GROUP BY 1")
        )
        return dict(rows.all())


def log(her, plan, when: datetime, client_id: uuid.UUID) -> bool:
    return log_session(
        her,
        plan,
        client_id=client_id,
        level=1,
        completion=Completion.FULLY,
        effort=Effort.RIGHT,
        leaked=False,
        zone=AMSTERDAM,
        performed_at=when,
    )


@pytest.fixture
def long_ago_months(db, owner_engine):
    """Drop the months this test makes (attached or detached), so the schema is as it was."""
    yield
    db.session.rollback()  # its reads hold locks on the partitions
    with owner_engine.begin() as connection:
        for month in ("y2001m01", "y2001m02", "y2001m03"):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS exercise_sessions_{month}")


def test_a_set_lands_in_its_month_and_a_copy_is_stored_once(
    make_tenant, make_patient, db, owner_engine
):
    linde = make_tenant("linde")
    her = make_patient(linde, "lotte@example.nl", phase="training")
    now = datetime.now(UTC)
    with tenant_context(linde.id, db.session):
        plan = plan_for(her)
        same = uuid.uuid4()
        late = datetime.combine(now.date() - timedelta(days=3), time(23, 59, 59), AMSTERDAM)
        assert log(her, plan, late, same) is True
        assert log(her, plan, late, same) is False  # the offline queue replayed
        assert log(her, plan, late + timedelta(seconds=2), same) is False  # her next day
        db.session.commit()
    month = late.strftime("y%Ym%m")
    assert where_stored(owner_engine) == {f"exercise_sessions_{month}": 1}


def test_months_ahead_are_made_by_the_platform_role_only(app, platform_app, db):
    today = datetime.now(UTC).date()
    with platform_app.app_context():
        partitions.ensure()
        assert partitions.ensure() == 0  # each month once
        with database.engine.connect() as connection:
            made = partitions.listed(connection)
    assert made[-1].first is None  # the default partition, last
    months = [partition.first for partition in made[:-1]]
    assert months == sorted(months)
    assert months[-1] >= today + partitions.AHEAD - timedelta(days=31)
    assert date(today.year, today.month, 1) in months
    with app.app_context(), pytest.raises(ProgrammingError, match="permission denied"):
        database.session.execute(
            select(func.pelvicoach_session_partitions(today, today + timedelta(days=400)))
        )


def test_a_day_no_month_covered_moves_into_its_month_when_made(
    make_tenant, make_patient, db, platform_app, owner_engine, long_ago_months
):
    linde = make_tenant("linde")
    her = make_patient(linde, "lotte@example.nl", phase="training")
    with tenant_context(linde.id, db.session):
        for day in (15, 16, 16):
            db.session.add(a_set(linde.id, her.id, datetime(2001, 1, day, 9, tzinfo=UTC)))
        db.session.commit()
    assert where_stored(owner_engine)["exercise_sessions_default"] == 3
    with platform_app.app_context():
        assert partitions.ensure(LONG_AGO, date(2001, 2, 28)) == 2
    stored = where_stored(owner_engine)
    assert stored["exercise_sessions_y2001m01"] == 3
    assert "exercise_sessions_default" not in stored
    with tenant_context(linde.id, db.session):  # moved partition to partition: counted once
        days = db.session.execute(select(PracticeDay.day, PracticeDay.sets)).all()
        assert sorted(days) == [(date(2001, 1, 15), 1), (date(2001, 1, 16), 2)]


def test_old_months_are_detached_whole_and_still_counted(
    make_tenant, make_patient, db, platform_app, owner_engine, long_ago_months
):
    linde = make_tenant("linde")
    her = make_patient(linde, "lotte@example.nl", phase="training")
    with platform_app.app_context():
        assert partitions.ensure(LONG_AGO, date(2001, 3, 31)) == 3
    with tenant_context(linde.id, db.session):
        for month in (1, 2, 3):
            db.session.add(a_set(linde.id, her.id, datetime(2001, month, 10, 9, tzinfo=UTC)))
        db.session.commit()
    with owner_engine.connect() as connection:
        detached = partitions.detach(connection, date(2001, 3, 1))
    assert detached == ["exercise_sessions_y2001m01", "exercise_sessions_y2001m02"]
    with owner_engine.connect() as connection:
        left = [partition.name for partition in partitions.listed(connection)]
        kept = connection.exec_driver_sql("SELECT count(*) FROM exercise_sessions_y2001m01")
        assert kept.scalar_one() == 1  # a table of its own now, to archive
    assert "exercise_sessions_y2001m01" not in left
    assert "exercise_sessions_y2001m03" in left
    with tenant_context(linde.id, db.session):
        logged = db.session.scalars(select(ExerciseSession.day)).all()
        assert logged == [date(2001, 3, 10)]
        counted = db.session.scalars(select(PracticeDay.day).order_by(PracticeDay.day)).all()
        assert counted == [date(2001, 1, 10), date(2001, 2, 10), date(2001, 3, 10)]
