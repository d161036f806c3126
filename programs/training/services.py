"""Her training plan, the sets she logs, and where they lead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from pelvicoach.platform.extensions import as_utc, db, insert_once
from pelvicoach.programs.configuration.program import Program
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.training import bladder, progression
from pelvicoach.programs.training.models import Completion, Effort, ExerciseSession, TrainingPlan


class LevelError(ValueError):
    """A level she may not choose (yet)."""


def find_plan(patient: Patient) -> TrainingPlan | None:
    return db.session.scalar(
        select(TrainingPlan).where(
            TrainingPlan.tenant_id == patient.tenant_id, TrainingPlan.patient_id == patient.id
        )
    )


def plan_for(patient: Patient, now: datetime | None = None) -> TrainingPlan:
    """Her plan, started at level 1 the first time she opens the training."""
    plan = find_plan(patient)
    if plan is None:
        now = now or datetime.now(UTC)
        plan = TrainingPlan(
            tenant_id=patient.tenant_id,
            patient_id=patient.id,
            level=1,
            highest_level=1,
            level_since=now,
            bladder_weeks_done=0,
            updated_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(plan)
        except IntegrityError:  # opened in two tabs at once
            plan = find_plan(patient)
            assert plan is not None
    return plan


def level_of(program: Program, number: int) -> dict[str, Any]:
    """The program's level by number; a plan left above a version's top gets the top."""
    return program.levels[min(max(number, 1), len(program.levels)) - 1]


def logged_since(patient: Patient, first_day: date) -> list[progression.Logged]:
    rows = db.session.execute(
        select(
            ExerciseSession.day,
            ExerciseSession.level,
            ExerciseSession.completion,
            ExerciseSession.effort,
        )
        .where(
            ExerciseSession.tenant_id == patient.tenant_id,
            ExerciseSession.patient_id == patient.id,
            ExerciseSession.day >= first_day,
        )
        .order_by(ExerciseSession.performed_at, ExerciseSession.id)
    )
    return [progression.Logged(*row) for row in rows]


def progress(
    patient: Patient, plan: TrainingPlan, program: Program, today: date, zone: ZoneInfo
) -> progression.Progress:
    """The advice for her current level, from what she logged since she got to it (in the
    last four weeks at most: enough for any window, and a bounded read)."""
    since = as_utc(plan.level_since).astimezone(zone).date()
    looked_back = today - timedelta(days=max(program.settings["training_window_days"], 28))
    logs = logged_since(patient, max(since, looked_back))
    return progression.advise(
        level_of(program, plan.level), len(program.levels), logs, today, program.settings
    )


def log_session(
    patient: Patient,
    plan: TrainingPlan,
    *,
    client_id: UUID,
    level: int,
    completion: Completion,
    effort: Effort,
    leaked: bool,
    zone: ZoneInfo,
    performed_at: datetime | None = None,
) -> bool:
    """Store one set, once: the same `client_id` again stores nothing. True when stored now.
    One statement either way (INSERT ... ON CONFLICT DO NOTHING): the busiest write there is.
    The unique key holds within her day; a copy sent across her midnight (a double tap at
    23:59:59) is found among the days either side, two monthly partitions at most."""
    now = datetime.now(UTC)
    when = (performed_at or now).astimezone(UTC)  # stored as UTC (SQLite keeps no offset)
    day = when.astimezone(zone).date()
    stored = insert_once(
        ExerciseSession,
        {
            "tenant_id": patient.tenant_id,
            "patient_id": patient.id,
            "client_id": str(client_id),
            "performed_at": when,
            "day": day,
            "level": level,
            "completion": completion,
            "effort": effort,
            "leaked": leaked,
            "received_at": now,
        },
        ["tenant_id", "patient_id", "client_id", "day"],
        unless=exists().where(
            ExerciseSession.tenant_id == patient.tenant_id,
            ExerciseSession.patient_id == patient.id,
            ExerciseSession.client_id == str(client_id),
            ExerciseSession.day.between(day - timedelta(days=1), day + timedelta(days=1)),
        ),
    )
    if stored is not None and (plan.practice_started_on is None or day < plan.practice_started_on):
        plan.practice_started_on = day
        plan.updated_at = now
    return stored is not None


def choose_level(plan: TrainingPlan, program: Program, number: int) -> None:
    """Her choice of level, within what the program lets her choose."""
    if number not in progression.choosable(
        plan.highest_level, len(program.levels), program.settings
    ):
        raise LevelError(number)
    now = datetime.now(UTC)
    if number != plan.level:
        plan.level = number
        plan.level_since = now
    plan.highest_level = max(plan.highest_level, number)
    plan.updated_at = now


def days_practised(patient: Patient, first_day: date, last_day: date) -> dict[date, int]:
    """Sets logged per day between two days (inclusive), for her calendar."""
    rows = db.session.execute(
        select(ExerciseSession.day, func.count())
        .where(
            ExerciseSession.tenant_id == patient.tenant_id,
            ExerciseSession.patient_id == patient.id,
            ExerciseSession.day.between(first_day, last_day),
        )
        .group_by(ExerciseSession.day)
    )
    return dict(rows.all())


@dataclass(frozen=True)
class BladderState:
    weeks: list[bladder.Week]
    week: bladder.Week | None  # None until she starts
    reached: bool  # she kept to the goal interval for a week
    tick_opens_on: date | None


def bladder_state(
    plan: TrainingPlan, program: Program, diary_minutes: int | None = None
) -> BladderState:
    """Where she is in bladder training; before she starts, the plan her diary would give."""
    if plan.bladder_start_minutes is None or plan.bladder_week_started_on is None:
        start = bladder.starting_interval(diary_minutes, program.settings)
        return BladderState(bladder.schedule(start, program.settings), None, False, None)
    weeks = bladder.schedule(plan.bladder_start_minutes, program.settings)
    return BladderState(
        weeks=weeks,
        week=bladder.current(weeks, plan.bladder_weeks_done),
        reached=plan.bladder_weeks_done >= len(weeks),
        tick_opens_on=bladder.tick_opens_on(plan.bladder_week_started_on),
    )


def start_bladder_training(
    plan: TrainingPlan, program: Program, today: date, diary_minutes: int | None = None
) -> None:
    plan.bladder_start_minutes = bladder.starting_interval(diary_minutes, program.settings)
    plan.bladder_weeks_done = 0
    plan.bladder_week_started_on = today
    plan.updated_at = datetime.now(UTC)


def tick_bladder_week(plan: TrainingPlan, program: Program, today: date) -> bool:
    """Tick off the week she is in, once she kept to it for a week; False when too early."""
    state = bladder_state(plan, program)
    if state.week is None or state.reached or (state.tick_opens_on and today < state.tick_opens_on):
        return False
    plan.bladder_weeks_done += 1
    plan.bladder_week_started_on = today
    plan.updated_at = datetime.now(UTC)
    return True
