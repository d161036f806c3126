"""Everything on a patient's record for her clinician, gathered in a fixed number of statements:
her last intake with the rule that fired, check-ins, sets per week, the session log, referrals,
her latest diary and the clinicians' notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from pelvicoach.platform.extensions import db
from pelvicoach.programs.diary import services as diaries
from pelvicoach.programs.diary.models import Diary
from pelvicoach.programs.diary.summary import Summary
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.enrolment.services import rows_of
from pelvicoach.programs.followup import services as followup
from pelvicoach.programs.followup.models import Reassessment, Referral
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.monitoring.models import ClinicianNote
from pelvicoach.programs.training.models import ExerciseSession

WEEKS = 12  # of sets per week shown
SESSIONS = 30  # of the session log shown
MAX_NOTE = 4000


class NoteError(ValueError):
    """An empty or too long note."""


@dataclass(frozen=True)
class Week:
    starts_on: date
    sets: int


@dataclass(frozen=True)
class Record:
    intake: Intake | None
    check_ins: list[Reassessment]
    weeks: list[Week]  # oldest first
    sessions: list[ExerciseSession]  # newest first
    referrals: list[Referral]
    diary: Diary | None
    diary_summary: Summary | None
    notes: list[ClinicianNote]  # newest first


def gather(patient: Patient, zone: ZoneInfo, today: date) -> Record:
    intake = db.session.scalar(
        rows_of(Intake, patient)
        .where(Intake.completed_at.is_not(None))
        .order_by(Intake.completed_at.desc(), Intake.id.desc())
        .limit(1)
    )
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=WEEKS - 1)
    per_day = db.session.execute(
        select(ExerciseSession.day, func.count())
        .where(
            ExerciseSession.tenant_id == patient.tenant_id,
            ExerciseSession.patient_id == patient.id,
            ExerciseSession.day >= first,
        )
        .group_by(ExerciseSession.day)
    ).all()
    sets = {first + timedelta(weeks=n): 0 for n in range(WEEKS)}
    for day, count in per_day:
        sets[day - timedelta(days=day.weekday())] += count
    diary = diaries.latest(patient)
    return Record(
        intake=intake,
        check_ins=followup.history(patient),
        weeks=[Week(start, count) for start, count in sorted(sets.items())],
        sessions=list(
            db.session.scalars(
                rows_of(ExerciseSession, patient)
                .order_by(ExerciseSession.performed_at.desc())
                .limit(SESSIONS)
            )
        ),
        referrals=followup.referrals(patient),
        diary=diary,
        diary_summary=diaries.summary_of(diary, diaries.entries(diary), zone) if diary else None,
        notes=list(
            db.session.scalars(
                rows_of(ClinicianNote, patient).order_by(
                    ClinicianNote.written_at.desc(), ClinicianNote.id.desc()
                )
            )
        ),
    )


def add_note(patient: Patient, author_id: int, body: str) -> ClinicianNote:
    text = (body or "").strip()
    if not text or len(text) > MAX_NOTE:
        raise NoteError(text)
    note = ClinicianNote(
        tenant_id=patient.tenant_id,
        patient_id=patient.id,
        author_id=author_id,
        body=text,
        written_at=datetime.now(UTC),
    )
    db.session.add(note)
    db.session.flush()
    return note
