"""Re-assessments as she completes them, the alerts they raise, red flags she reports later,
and her referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, select

from pelvicoach.platform.extensions import db
from pelvicoach.programs.configuration.program import Program
from pelvicoach.programs.configuration.services import start_phase
from pelvicoach.programs.enrolment.models import Patient, Phase
from pelvicoach.programs.enrolment.services import rows_of
from pelvicoach.programs.followup import rules
from pelvicoach.programs.followup.models import AlertKind, CareAlert, Reassessment, Referral
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.intake.rules import Answer
from pelvicoach.programs.training.models import TrainingPlan
from pelvicoach.tenants.care_providers import CareProvider, ProviderKind


def practice_week(plan: TrainingPlan | None, today: date) -> int | None:
    """Whole weeks since her first logged set; None before she practised."""
    return practice_week_from(plan.practice_started_on if plan else None, today)


def practice_week_from(started_on: date | None, today: date) -> int | None:
    return None if started_on is None else (today - started_on).days // 7


def history(patient: Patient) -> list[Reassessment]:
    return list(
        db.session.scalars(rows_of(Reassessment, patient).order_by(Reassessment.completed_at))
    )


@dataclass(frozen=True)
class Due:
    week: int  # the week of practice it is due at
    now: bool  # due now (or overdue)


def next_due(last_week: int | None, week: int | None, program: Program) -> Due | None:
    """Her next check-in, after the one she did in her `last_week` of practice (None: none
    yet); None before she practised."""
    if week is None:
        return None
    due = rules.due_week(last_week, program.settings)
    return Due(due, week >= due)


def baseline(intake: Intake | None) -> rules.Severity:
    """Her severity when training began: the intake's scores (0 when she did not leak)."""
    scores = (intake.scores or {}) if intake else {}
    return rules.Severity(isi=scores.get("isi") or 0, iciq=scores.get("iciq"))


@dataclass(frozen=True)
class Outcome:
    reassessment: Reassessment
    verdict: rules.Verdict
    alert: CareAlert | None


def complete(
    patient: Patient,
    program: Program,
    answers: dict[str, Answer],
    *,
    week: int,
    intake: Intake | None,
    today: date,
) -> Outcome:
    """Check and store her answers; from the alert week on, without improvement, raise the
    alert (once while no referral followed it). AnswerError when answers are missing."""
    kept = rules.check(program, answers, today)
    severity = rules.score(program, kept)
    now = datetime.now(UTC)
    done = Reassessment(
        tenant_id=patient.tenant_id,
        patient_id=patient.id,
        practice_week=week,
        answers=kept,
        isi=severity.isi,
        iciq=severity.iciq,
        pgi_i=severity.pgi_i or 0,
        version_number=program.number,
        completed_at=now,
    )
    db.session.add(done)
    db.session.flush()
    start = baseline(intake)
    verdict = rules.eight_week_rule(week, start, severity, program.settings)
    alert = None
    if verdict.alert and open_alert(patient) is None:
        alert = raise_alert(
            patient,
            AlertKind.NO_IMPROVEMENT,
            list(verdict.reasons),
            {
                "instrument": verdict.instrument,
                "baseline": {"isi": start.isi, "iciq": start.iciq},
                "latest": {"isi": severity.isi, "iciq": severity.iciq, "pgi_i": severity.pgi_i},
                "practice_week": week,
            },
            reassessment_id=done.id,
        )
    return Outcome(done, verdict, alert)


def raise_alert(
    patient: Patient,
    kind: AlertKind,
    reasons: list[str],
    details: dict[str, Any],
    reassessment_id: int | None = None,
) -> CareAlert:
    alert = CareAlert(
        tenant_id=patient.tenant_id,
        patient_id=patient.id,
        kind=kind,
        reasons=reasons,
        details=details,
        reassessment_id=reassessment_id,
        raised_at=datetime.now(UTC),
    )
    db.session.add(alert)
    db.session.flush()
    return alert


def report_red_flags(patient: Patient, flags: list[str]) -> CareAlert:
    """A red flag reported after the intake: the same route as in the intake (her GP first,
    no self-treatment), stored as an alert with the flags as its reasons."""
    alert = raise_alert(patient, AlertKind.RED_FLAG, flags, {"phase_before": str(patient.phase)})
    start_phase(patient, Phase.REFERRED)
    return alert


def newest_open_alert(tenant_id: int, patient_id: Any) -> Select:
    """The id of her newest alert that no referral has followed, nor a clinician resolved;
    `patient_id` may be a column, for use as a correlated subquery."""
    followed = select(Referral.alert_id).where(
        Referral.tenant_id == tenant_id, Referral.alert_id.is_not(None)
    )
    return (
        select(CareAlert.id)
        .where(
            CareAlert.tenant_id == tenant_id,
            CareAlert.patient_id == patient_id,
            CareAlert.id.not_in(followed),
            CareAlert.resolved_at.is_(None),
        )
        .order_by(CareAlert.raised_at.desc(), CareAlert.id.desc())
        .limit(1)
    )


def open_alert(patient: Patient) -> CareAlert | None:
    alert_id = db.session.scalar(newest_open_alert(patient.tenant_id, patient.id))
    return None if alert_id is None else find_alert(patient, alert_id)


def open_alerts(patient: Patient) -> list[CareAlert]:
    """Every alert of hers still open (no referral followed it, nobody resolved it), newest
    first: what her clinician has to deal with."""
    followed = select(Referral.alert_id).where(
        Referral.tenant_id == patient.tenant_id, Referral.alert_id.is_not(None)
    )
    return list(
        db.session.scalars(
            rows_of(CareAlert, patient)
            .where(CareAlert.resolved_at.is_(None), CareAlert.id.not_in(followed))
            .order_by(CareAlert.raised_at.desc(), CareAlert.id.desc())
        )
    )


def resolve(alert: CareAlert, by: int) -> None:
    """Her clinician dealt with it (called her, saw her in the practice)."""
    alert.resolved_at, alert.resolved_by = datetime.now(UTC), by


def find_alert(patient: Patient, alert_id: int) -> CareAlert | None:
    return db.session.scalar(rows_of(CareAlert, patient).where(CareAlert.id == alert_id))


class ProviderError(ValueError):
    """A provider that is not in her tenant's directory, or not of the kind she chose."""


def confirm_referral(
    patient: Patient,
    alert: CareAlert | None,
    care_kind: ProviderKind,
    provider_id: int | None,
) -> Referral:
    if provider_id is not None:
        provider = db.session.scalar(
            select(CareProvider).where(
                CareProvider.tenant_id == patient.tenant_id, CareProvider.id == provider_id
            )
        )
        if provider is None or provider.kind != care_kind:
            raise ProviderError(provider_id)
    referral = Referral(
        tenant_id=patient.tenant_id,
        patient_id=patient.id,
        alert_id=alert.id if alert else None,
        reason=alert.kind.value if alert else "her_choice",
        care_kind=care_kind,
        provider_id=provider_id,
        confirmed_at=datetime.now(UTC),
    )
    db.session.add(referral)
    db.session.flush()
    return referral


def referrals(patient: Patient) -> list[Referral]:
    return list(db.session.scalars(rows_of(Referral, patient).order_by(Referral.confirmed_at)))


def find_referral(patient: Patient, referral_id: int) -> Referral | None:
    return db.session.scalar(rows_of(Referral, patient).where(Referral.id == referral_id))


def answer_attended(referral: Referral, attended: bool) -> None:
    referral.attended = attended
    referral.attended_answered_at = datetime.now(UTC)
