"""Her bladder diaries: starting one, noting entries, and the summary they add up to."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from pelvicoach.platform.extensions import as_utc, db, insert_once
from pelvicoach.programs.diary.models import Diary, DiaryEntry, EntryKind
from pelvicoach.programs.diary.summary import Noted, Summary, summarize
from pelvicoach.programs.enrolment.models import Patient


class OutsideDiaryError(ValueError):
    """A time that is not on one of the diary's days (or the morning after the last)."""


def latest(patient: Patient) -> Diary | None:
    return db.session.scalar(
        select(Diary)
        .where(Diary.tenant_id == patient.tenant_id, Diary.patient_id == patient.id)
        .order_by(Diary.starts_on.desc(), Diary.id.desc())
        .limit(1)
    )


def start(patient: Patient, starts_on: date, days: int) -> Diary:
    diary = Diary(
        tenant_id=patient.tenant_id,
        patient_id=patient.id,
        starts_on=starts_on,
        days=days,
        ends_on=starts_on + timedelta(days=days),
        created_at=datetime.now(UTC),
    )
    db.session.add(diary)
    db.session.flush()
    return diary


def days_of(diary: Diary) -> list[date]:
    return [diary.starts_on + timedelta(days=n) for n in range(diary.days)]


def entry_days(diary: Diary) -> list[date]:
    """The days an entry may be on: the diary's, and the morning after (the last night)."""
    return [*days_of(diary), diary.starts_on + timedelta(days=diary.days)]


def add(
    diary: Diary,
    kind: EntryKind,
    zone: ZoneInfo,
    *,
    client_id: UUID,
    day: date,
    time: time,
    **details: Any,
) -> bool:
    """Note one entry, once per client id; True when stored now. OutsideDiaryError when its day
    is not the diary's."""
    if day not in entry_days(diary):
        raise OutsideDiaryError(day)
    stored = insert_once(
        DiaryEntry,
        {
            "tenant_id": diary.tenant_id,
            "diary_id": diary.id,
            "client_id": str(client_id),
            "kind": kind,
            "at": datetime.combine(day, time, zone).astimezone(UTC),
            "created_at": datetime.now(UTC),
            **details,
        },
        ["tenant_id", "diary_id", "client_id"],
    )
    if stored is not None:
        refresh_out_of_range(diary, zone)
    return stored is not None


def entries(diary: Diary) -> list[DiaryEntry]:
    return list(
        db.session.scalars(
            select(DiaryEntry)
            .where(DiaryEntry.tenant_id == diary.tenant_id, DiaryEntry.diary_id == diary.id)
            .order_by(DiaryEntry.at, DiaryEntry.id)
        )
    )


def remove(diary: Diary, entry_id: int, zone: ZoneInfo) -> bool:
    """Remove one of the diary's entries; False when it has no such entry."""
    result = db.session.execute(
        delete(DiaryEntry).where(
            DiaryEntry.tenant_id == diary.tenant_id,
            DiaryEntry.diary_id == diary.id,
            DiaryEntry.id == entry_id,
        )
    )
    if result.rowcount:
        refresh_out_of_range(diary, zone)
    return bool(result.rowcount)


def summary_of(diary: Diary, noted: list[DiaryEntry], zone: ZoneInfo) -> Summary:
    return summarize(
        [Noted(e.kind, as_utc(e.at).astimezone(zone), e.millilitres, e.urgency) for e in noted],
        days_of(diary),
    )


# Measures whose range the caseload flags; leaks are why she is here, not news.
WATCHED = ("day_voids", "night_voids", "fluid_ml", "largest_void_ml")


def refresh_out_of_range(diary: Diary, zone: ZoneInfo) -> None:
    """After an entry came or went: which watched measures now fall outside their range."""
    summary = summary_of(diary, entries(diary), zone)
    diary.out_of_range = ",".join(m.key for m in summary.flagged if m.key in WATCHED)


def typical_interval(patient: Patient, zone: ZoneInfo) -> int | None:
    """Her typical time between voids by day, from her latest diary: where bladder training
    starts."""
    diary = latest(patient)
    if diary is None:
        return None
    return summary_of(diary, entries(diary), zone).typical_interval_minutes
