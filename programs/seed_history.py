"""Histories for seeded women, in bulk: consents, an intake whose outcome fits her step, a
three-day bladder diary for some, a training plan with sets that thin out over the weeks (most
women practise less as time goes on), reminders and nudges, check-ins answered by fewer women
each time, and referrals. Enough like real use that reports, caseloads and benchmarks meet
realistic data; random but reproducible from the seed."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pelvicoach.platform.extensions import insert_all
from pelvicoach.programs.diary.models import Diary, DiaryEntry, DrinkKind, EntryKind, LeakActivity
from pelvicoach.programs.diary.services import WATCHED
from pelvicoach.programs.diary.summary import Noted, summarize
from pelvicoach.programs.enrolment.models import Consent, ConsentKind, Phase
from pelvicoach.programs.followup.models import Reassessment, Referral
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.reminders.models import ReminderSend
from pelvicoach.programs.training.models import ExerciseSession, TrainingPlan
from pelvicoach.tenants.care_providers import ProviderKind

TYPES = {"stress": 50, "mixed": 30, "urge": 15, "other": 5}
TRAINED = {kind: share for kind, share in TYPES.items() if kind != "other"}  # "other": a physio
CHECK_IN_WEEKS = {4: 0.55, 8: 0.4, 12: 0.3}  # and the share who answer each
CONSENT_VERSION = "1"
DIARY_SHARE, DIARY_DAYS = 0.15, 3  # women with an intake who kept a diary, and its days
ZONE = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True)
class Woman:
    id: int
    phase: Phase
    cohort: str
    enrolled_at: datetime


def _severity(isi: int) -> str:
    if isi <= 2:
        return "slight"
    if isi <= 6:
        return "moderate"
    return "severe" if isi <= 9 else "very_severe"


def _scores(rng: random.Random, control: str, types: dict[str, int] = TYPES) -> dict:
    kind = rng.choices(list(types), list(types.values()))[0]
    isi = rng.choice((1, 2, 2, 3, 4, 4, 6, 6, 8, 9, 12))
    return {
        "red_flags": [],
        "incontinence_type": kind,
        "isi": isi,
        "isi_severity": _severity(isi),
        "iciq": None,
        "control": control,
        "weeks_postpartum": None,
    }


def _outcome(rng: random.Random, woman: Woman) -> tuple[str, str, dict] | None:
    """Route, rule and scores of a finished intake that leads to her step; None for no intake."""
    if woman.phase in (Phase.INFORMATION, Phase.INTAKE):
        return None
    if woman.phase == Phase.TRAINING:
        return "training", "training", _scores(rng, "sufficient", TRAINED)
    if woman.phase == Phase.AWARENESS:
        if woman.cohort == "postpartum" and rng.random() < 0.2:
            return "wait", "early_postpartum", _scores(rng, "unsure")
        control = rng.choice(("unsure", "unsure", "insufficient"))
        return "awareness", f"control_{control}", _scores(rng, control)
    if rng.random() < 0.6:  # referred
        scores = _scores(rng, "sufficient")
        scores["red_flags"] = [rng.choice(("blood", "emptying", "bulge", "pain"))]
        return "see_gp", "red_flag", scores
    return "physio", "severe_tear", _scores(rng, "insufficient")


def _sets(rng: random.Random, tenant_id: int, patient_id: int, start: date, today: date) -> list:
    """Her sets from the day training opened: a daily chance that fades by the week."""
    keen = rng.uniform(0.25, 1.0)
    rows = []
    day = start
    while day < today:
        weeks = (day - start).days / 7
        if rng.random() < 0.9 * keen * math.exp(-weeks / 10):
            for _ in range(rng.choice((1, 2, 2, 3))):
                moment = datetime.combine(
                    day, time(rng.randint(6, 21), rng.randint(0, 59)), tzinfo=UTC
                )
                rows.append(
                    {
                        "tenant_id": tenant_id,
                        "patient_id": patient_id,
                        "client_id": str(uuid.UUID(int=rng.getrandbits(128))),
                        "performed_at": moment,
                        "day": day,
                        "level": 1 + min(11, int(weeks // 2)),
                        "completion": "fully" if rng.random() < 0.85 else "partly",
                        "effort": rng.choice(("easy", "right", "right", "right", "too_hard")),
                        "leaked": rng.random() < 0.15,
                        "received_at": moment,
                    }
                )
        day += timedelta(days=1)
    return rows


def _diary(rng: random.Random, tenant_id: int, patient_id: int, starts_on: date) -> tuple:
    """A diary of three days as she would keep it: up and to bed, six to eight drinks, voids
    (half of them measured) and now and then a leak; its flags as the app computes them."""
    entries: list[dict] = []

    def note(kind: EntryKind, day: date, hour: float, **values) -> None:
        local = datetime.combine(day, time(int(hour), int(hour % 1 * 60)), ZONE)
        entries.append(
            {
                "tenant_id": tenant_id,
                "client_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "kind": kind,
                "at": local.astimezone(UTC),
                "millilitres": values.get("millilitres"),
                "drink": values.get("drink"),
                "urgency": values.get("urgency"),
                "leak_amount": values.get("leak_amount"),
                "activity": values.get("activity"),
                "created_at": local.astimezone(UTC),
            }
        )

    for n in range(DIARY_DAYS):
        day = starts_on + timedelta(days=n)
        note(EntryKind.WAKE, day, rng.uniform(6, 8))
        for _ in range(rng.randint(6, 8)):
            drink = rng.choice(list(DrinkKind))
            note(
                EntryKind.DRINK,
                day,
                rng.uniform(7, 22),
                millilitres=rng.choice((150, 200, 250)),
                drink=drink,
            )
        for _ in range(rng.randint(5, 10)):
            measured = rng.choice((rng.randint(120, 450), None))
            note(
                EntryKind.VOID,
                day,
                rng.uniform(7, 23),
                millilitres=measured,
                urgency=rng.randint(0, 4),
            )
        if rng.random() < 0.4:
            note(EntryKind.VOID, day, rng.uniform(0, 5.5), urgency=rng.randint(1, 4))  # at night
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            note(
                EntryKind.LEAK,
                day,
                rng.uniform(8, 21),
                urgency=rng.randint(0, 4),
                leak_amount=rng.choice(("drops", "drops", "small", "large")),
                activity=rng.choice(list(LeakActivity)),
            )
        note(EntryKind.BED, day, rng.uniform(22, 23.9))
    noted = [
        Noted(e["kind"], e["at"].astimezone(ZONE), e["millilitres"], e["urgency"]) for e in entries
    ]
    days = [starts_on + timedelta(days=n) for n in range(DIARY_DAYS)]
    flagged = [m.key for m in summarize(noted, days).flagged if m.key in WATCHED]
    diary = {
        "tenant_id": tenant_id,
        "patient_id": patient_id,
        "starts_on": starts_on,
        "days": DIARY_DAYS,
        "ends_on": starts_on + timedelta(days=DIARY_DAYS),
        "out_of_range": ",".join(flagged),
        "created_at": datetime.combine(starts_on, time(8), ZONE).astimezone(UTC),
    }
    return diary, entries


def _sends(
    rng: random.Random, tenant_id: int, patient_id: int, start: date, today: date, days: set[date]
) -> list:
    """Her reminders (two mornings in three, for the keen half) and a nudge after each week
    without a set."""
    rows = []
    reminded = rng.random() < 0.5
    quiet = 0
    day = start
    while day < today:
        quiet = 0 if day in days else quiet + 1
        kind = None
        if quiet == 7:
            kind = "nudge"
        elif reminded and rng.random() < 0.67:
            kind = "reminder"
        if kind is not None:
            moment = datetime.combine(day, time(7, 30), tzinfo=UTC)
            rows.append(
                {
                    "tenant_id": tenant_id,
                    "patient_id": patient_id,
                    "kind": kind,
                    "slot": f"{kind}:{day.isoformat()}",
                    "created_at": moment,
                    "sent_at": moment,
                    "day": day,  # 07:30 UTC: the same day in the Netherlands
                    "returned": day in days or day + timedelta(days=1) in days,
                }
            )
        day += timedelta(days=1)
    return rows


def histories(tenant_id: int, women: list[Woman], rng: random.Random, now: datetime) -> None:
    """Insert every woman's history, a few statements per table."""
    consents, intakes, plans, sets, sends, checks, referrals = [], [], [], [], [], [], []
    diaries: list[tuple[dict, list[dict]]] = []
    today = now.date()
    for woman in women:
        if woman.phase != Phase.INFORMATION or rng.random() < 0.7:
            consents.append(
                {
                    "tenant_id": tenant_id,
                    "patient_id": woman.id,
                    "kind": ConsentKind.HEALTH_DATA,
                    "version": CONSENT_VERSION,
                    "given_at": woman.enrolled_at,
                }
            )
        outcome = _outcome(rng, woman)
        if outcome is None:
            continue
        route, rule, scores = outcome
        done = min(now, woman.enrolled_at + timedelta(days=rng.randint(0, 10), hours=1))
        intakes.append(
            {
                "tenant_id": tenant_id,
                "patient_id": woman.id,
                "version_number": 1,
                "cohort": woman.cohort,
                "answers": {},
                "started_at": done - timedelta(minutes=8),
                "updated_at": done,
                "completed_at": done,
                "route": route,
                "rule": rule,
                "scores": scores,
                "bladder_training": scores["incontinence_type"] in ("urge", "mixed"),
            }
        )
        diary_from = done.date() + timedelta(days=rng.randint(1, 14))
        if rng.random() < DIARY_SHARE and diary_from + timedelta(days=DIARY_DAYS) <= today:
            diaries.append(_diary(rng, tenant_id, woman.id, diary_from))
        if route in ("see_gp", "physio"):
            referrals.append(
                {
                    "tenant_id": tenant_id,
                    "patient_id": woman.id,
                    "reason": "red_flag" if route == "see_gp" else "her_choice",
                    "care_kind": ProviderKind.GP
                    if route == "see_gp"
                    else ProviderKind.PELVIC_PHYSIO,
                    "confirmed_at": done + timedelta(days=1),
                    "attended": rng.choice((True, True, False, None)),
                }
            )
        if route != "training":
            continue
        start = (done + timedelta(days=1)).date()
        plans.append(
            {
                "tenant_id": tenant_id,
                "patient_id": woman.id,
                "level": 1,
                "highest_level": 1,
                "level_since": done,
                "practice_started_on": start,
                "bladder_training": scores["incontinence_type"] in ("urge", "mixed"),
                "bladder_weeks_done": 0,
                "updated_at": done,
            }
        )
        hers = _sets(rng, tenant_id, woman.id, start, today)
        sets += hers
        sends += _sends(rng, tenant_id, woman.id, start, today, {row["day"] for row in hers})
        isi = scores["isi"]
        for week, answers in CHECK_IN_WEEKS.items():
            moment = datetime.combine(start + timedelta(weeks=week), time(20), tzinfo=UTC)
            if moment > now or rng.random() > answers:
                continue
            isi = max(0, isi - rng.choice((0, 1, 1, 2, 3)))
            checks.append(
                {
                    "tenant_id": tenant_id,
                    "patient_id": woman.id,
                    "practice_week": week,
                    "answers": {},
                    "isi": isi,
                    "pgi_i": rng.choice((1, 2, 2, 3, 3, 4, 5)),
                    "version_number": 1,
                    "completed_at": moment,
                }
            )
    for model, rows in (
        (Consent, consents),
        (Intake, intakes),
        (Referral, referrals),
        (TrainingPlan, plans),
        (ExerciseSession, sets),  # one statement: the rollup triggers fire once
        (ReminderSend, sends),
        (Reassessment, checks),
    ):
        insert_all(model, rows)
    diary_ids = insert_all(Diary, [diary for diary, _entries in diaries], ids=True)
    insert_all(
        DiaryEntry,
        [
            {**entry, "diary_id": diary_id}
            for diary_id, (_diary_row, entries) in zip(diary_ids, diaries, strict=True)
            for entry in entries
        ],
    )
