"""What a clinician does on a patient's record: resolve an alert, write to her, adjust her
plan. Each needs her record open to this clinician (her caseload, the practice's, or emergency
access), and each is audited."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pelvicoach.platform import audit
from pelvicoach.platform.access import Decision, require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db, limiter
from pelvicoach.platform.tenancy import external_url, require_tenant
from pelvicoach.programs.clinician import bp
from pelvicoach.programs.clinician.forms import LetterForm, NoteForm, PlanForm
from pelvicoach.programs.clinician.views import patient_or_404, record_page, summary_context
from pelvicoach.programs.configuration.services import version_for
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.followup import services as followup
from pelvicoach.programs.monitoring import adjustments, messages
from pelvicoach.programs.monitoring import record as monitoring_record
from pelvicoach.programs.monitoring.adjustments import Change
from pelvicoach.programs.portal.messages import MessageForm
from pelvicoach.programs.portal.patient import pdf_download, today, zone
from pelvicoach.programs.training import services as training
from pelvicoach.tenants.staff import services as staff

ADJUSTMENT_PROBLEMS = {
    "reason": _l("Give a reason, and keep it and the note under 500 characters."),
    "level": _l("Choose a level her program has."),
    "unlocked": _l("Exercise therapy is open for her already."),
    "locked": _l("Exercise therapy is closed for her already."),
}


def _open_record(pseudonym: str) -> Patient:
    """Her record, for a clinician it is open to: a change is never where emergency access
    would first be asked (403), nor for a record she cannot know of (404)."""
    record, decision = patient_or_404(pseudonym)
    if decision is not Decision.ALLOW:
        abort(403)
    return record


@bp.post("/<pseudonym>/messages")
@require_role(Role.CLINICIAN)
@limiter.limit("120 per hour", key_func=lambda: f"message:{current_user.id}")
def send_message(pseudonym: str):
    """Her clinician writes to her; she is told by e-mail that there is a message, no more."""
    record = _open_record(pseudonym)
    form = MessageForm()
    if not form.validate_on_submit():
        return record_page(record, training.find_plan(record), message_form=form, status=422)
    messages.post(
        record,
        current_user,
        form.body.data or "",
        from_patient=False,
        site_name=require_tenant().name,
        link=lambda to_patient: (
            external_url("portal.messages_page")
            if to_patient
            else external_url("clinician.patient", pseudonym=pseudonym, _anchor="messages")
        ),
    )
    audit.record("patient.message_sent", object_type="patient", object_id=record.pseudonym)
    db.session.commit()
    flash(_("Your message is sent."), "success")
    return redirect(url_for("clinician.patient", pseudonym=pseudonym, _anchor="messages"))


@bp.post("/<pseudonym>/alerts/<int:alert_id>/resolve")
@require_role(Role.CLINICIAN)
def resolve_alert(pseudonym: str, alert_id: int):
    """She dealt with it: the alert leaves the caseload (and the patient's home page)."""
    record = _open_record(pseudonym)
    alert = followup.find_alert(record, alert_id)
    if alert is None:
        abort(404)
    if alert.resolved_at is None:
        followup.resolve(alert, current_user.id)
        audit.record(
            "patient.alert_resolved",
            object_type="patient",
            object_id=record.pseudonym,
            detail={"alert": alert.id, "kind": str(alert.kind)},
        )
        db.session.commit()
    flash(_("The alert is marked as dealt with."), "success")
    return redirect(url_for("clinician.patient", pseudonym=pseudonym))


@bp.post("/<pseudonym>/plan")
@require_role(Role.CLINICIAN)
def adjust_plan(pseudonym: str):
    """Her clinician changes her plan, with a reason; she sees it on her home page."""
    record = _open_record(pseudonym)
    form = PlanForm()
    if form.validate_on_submit():
        change = Change(form.change.data)
        try:
            adjustments.adjust(
                record,
                version_for(record),
                change,
                by=current_user.id,
                reason=form.reason.data or "",
                note=form.note.data or "",
                level=form.level.data,
            )
        except adjustments.AdjustmentError as refused:
            problem = str(refused)
            field = {"level": form.level, "reason": form.reason}.get(problem, form.change)
            field.errors = [ADJUSTMENT_PROBLEMS[problem]]
        else:
            audit.record(
                "patient.plan_changed",
                object_type="patient",
                object_id=record.pseudonym,
                detail={"change": change.value, "level": form.level.data},
            )
            db.session.commit()
            flash(_("Her plan is changed; she sees it on her home page."), "success")
            return redirect(url_for("clinician.patient", pseudonym=pseudonym, _anchor="plan"))
    db.session.rollback()
    return record_page(record, training.find_plan(record), plan_form=form, status=422)


@bp.post("/<pseudonym>/notes")
@require_role(Role.CLINICIAN)
def add_note(pseudonym: str):
    """A note on her record, for the staff who may open it."""
    record = _open_record(pseudonym)
    form = NoteForm()
    if not form.validate_on_submit():
        return record_page(record, training.find_plan(record), note_form=form, status=422)
    note = monitoring_record.add_note(record, current_user.id, form.text.data or "")
    audit.record(
        "patient.note_added",
        object_type="patient",
        object_id=record.pseudonym,
        detail={"note": note.id},
    )
    db.session.commit()
    flash(_("Your note is kept on her record."), "success")
    return redirect(url_for("clinician.patient", pseudonym=pseudonym, _anchor="notes"))


@bp.post("/<pseudonym>/letter.pdf")
@require_role(Role.CLINICIAN)
def gp_letter(pseudonym: str):
    """A summary for her GP, as a PDF: only with her consent, which the letter notes."""
    record = _open_record(pseudonym)
    plan = training.find_plan(record)
    form = LetterForm()
    if not form.validate_on_submit():
        return record_page(record, plan, letter_form=form, status=422)
    gathered = monitoring_record.gather(record, zone(), today())
    profile = staff.profile_of(current_user)
    html = render_template(
        "clinician/letter_pdf.html",
        patient=record,
        program=version_for(record),
        gp=(form.gp.data or "").strip(),
        findings=(form.findings.data or "").strip(),
        clinician=current_user,
        profile=profile,
        today=today(),
        **summary_context(gathered, plan),
    )
    audit.record(
        "patient.gp_letter",
        object_type="patient",
        object_id=record.pseudonym,
        detail={"consent": True},
    )
    db.session.commit()
    return pdf_download(html, f"brief-huisarts-{record.pseudonym}.pdf", html)
