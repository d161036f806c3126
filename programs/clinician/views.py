"""Clinician views: her caseload and a patient's record, every read audited."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from pelvicoach.platform import audit
from pelvicoach.platform.access import Decision, decide, require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.programs.care import services
from pelvicoach.programs.clinician import bp
from pelvicoach.programs.clinician import caseload as caseload_form
from pelvicoach.programs.clinician.forms import CHANGES, LetterForm, NoteForm, PlanForm
from pelvicoach.programs.configuration.program import Program
from pelvicoach.programs.configuration.services import version_for
from pelvicoach.programs.diary import services as diaries
from pelvicoach.programs.enrolment import lifecycle
from pelvicoach.programs.enrolment.labels import COHORTS
from pelvicoach.programs.enrolment.models import Patient, Phase
from pelvicoach.programs.enrolment.services import get_patient
from pelvicoach.programs.followup import services as followup
from pelvicoach.programs.followup.chart import bars
from pelvicoach.programs.intake.labels import ROUTES, RULES
from pelvicoach.programs.monitoring import adjustments, messages
from pelvicoach.programs.monitoring import caseload as monitoring
from pelvicoach.programs.monitoring import record as monitoring_record
from pelvicoach.programs.monitoring.record import Record
from pelvicoach.programs.portal.followup import severity_graph
from pelvicoach.programs.portal.intake import answer_summary
from pelvicoach.programs.portal.messages import MessageForm
from pelvicoach.programs.portal.patient import localized, today, zone
from pelvicoach.programs.training import services as training
from pelvicoach.programs.training.models import TrainingPlan


@bp.get("/")
@require_role(Role.CLINICIAN)
def caseload():
    tenant = require_tenant()
    form, filters = caseload_form.read(request.args)
    now = datetime.now(UTC)
    found = monitoring.caseload(tenant, current_user, filters, now, now.astimezone(zone()).date())
    page = render_template(
        "clinician/caseload.html",
        form=form,
        found=found,
        alerts=caseload_form.translated(caseload_form.ALERTS),
        phases=caseload_form.translated(caseload_form.PHASES),
        now=now,
    )
    # On record before the page leaves, and after it is made: the commit expires what the page
    # reads (her account first), and the audit chain's head is held only for the commit.
    audit.record(
        "patients.list",
        object_type="patient",
        detail={"count": len(found.rows), "page": found.number, "total": found.total},
    )
    db.session.commit()
    return page, (400 if form.errors else 200)


def patient_or_404(pseudonym: str) -> tuple[Patient, Decision]:
    record = get_patient(require_tenant().id, pseudonym)
    decision = decide(record)
    if decision is Decision.HIDE:
        abort(404)
    return record, decision


@bp.get("/<pseudonym>")
@require_role(Role.CLINICIAN)
def patient(pseudonym: str):
    record, decision = patient_or_404(pseudonym)
    # Off her caseload: not a bare 403 but the audited emergency-access step.
    if decision is Decision.FORBID:
        return render_template("clinician/emergency_access.html", patient=record), 403
    plan = training.find_plan(record)
    messages.mark_read(record, by_patient=False)
    return record_page(record, plan)


def summary_context(gathered: Record, plan: TrainingPlan | None) -> dict:
    """What the summary partial she shares with her GP reads (portal/_my_summary_body.html)."""
    return {
        "staff_view": True,
        "graph": (
            severity_graph(gathered.intake, gathered.check_ins, staff=True)
            if gathered.check_ins
            else None
        ),
        "intake": gathered.intake,
        "done": gathered.check_ins,
        "plan": plan,
        "week": followup.practice_week(plan, today()),
        "diary": gathered.diary,
        "summary": gathered.diary_summary,
        "days": diaries.days_of(gathered.diary) if gathered.diary else [],
    }


def _reason_labels(program: Program, cohort: str) -> dict[str, str]:
    """Her alerts' reasons in words: the red flags as her intake asked them, and why the 8-week
    rule raised its alert."""
    flags = next((q for q in program.questions(cohort) if q["key"] == "red_flags"), {})
    labels = {option["value"]: localized(option["label"]) for option in flags.get("options", [])}
    return labels | caseload_form.translated(caseload_form.NO_IMPROVEMENT_REASONS)


def record_page(
    record: Patient,
    plan: TrainingPlan | None,
    *,
    message_form: MessageForm | None = None,
    plan_form: PlanForm | None = None,
    note_form: NoteForm | None = None,
    letter_form: LetterForm | None = None,
    status: int = 200,
):
    """Her whole record. Every showing is a read of it, a form sent back with its errors as
    much as the page itself, so the read is audited here, and kept whatever the form did."""
    services.record_read(record)
    db.session.commit()
    program = version_for(record)
    gathered = monitoring_record.gather(record, zone(), today())
    # The plan's sets a week, where she is in exercise therapy: the line the bars reach for.
    target = (
        program.sets_per_day(plan.level) * 7 if plan and record.phase == Phase.TRAINING else None
    )
    return render_template(
        "clinician/patient.html",
        patient=record,
        program=program,
        levels=program.levels,
        record=gathered,
        answers=answer_summary(program, record.cohort, gathered.intake) if gathered.intake else [],
        note_form=note_form or NoteForm(formdata=None),
        letter_form=letter_form or LetterForm(formdata=None),
        **summary_context(gathered, plan),
        weeks_graph=bars(
            [(format_date(week.starts_on, "d MMM"), week.sets) for week in gathered.weeks],
            target,
            every=3,
        ),
        stop_reasons=lifecycle.REASONS,
        open_alerts=followup.open_alerts(record),
        alert_kinds=caseload_form.ALERTS,
        alert_reasons=_reason_labels(program, record.cohort),
        phases=caseload_form.translated(caseload_form.PHASES),
        cohorts=caseload_form.translated(COHORTS),
        routes=caseload_form.translated(ROUTES),
        rules=caseload_form.translated(RULES),
        thread=messages.thread(record),
        form=message_form or MessageForm(formdata=None),
        plan_form=plan_form or PlanForm(formdata=None),
        changes=adjustments.history(record),
        change_labels=CHANGES,
    ), status


@bp.post("/<pseudonym>/emergency-access")
@require_role(Role.CLINICIAN)
def emergency_access(pseudonym: str):
    record, _decision = patient_or_404(pseudonym)
    reason = (request.form.get("reason") or "").strip()
    if len(reason) < 10:
        flash(_("Please describe why you need access (at least 10 characters)."), "danger")
        return render_template("clinician/emergency_access.html", patient=record), 400
    services.grant_emergency_access(record, current_user, reason)
    db.session.commit()
    return redirect(url_for("clinician.patient", pseudonym=pseudonym))
