"""What a clinician does on a patient's record: resolve an alert, write to her, adjust her
plan. Each needs her record open to this clinician (her caseload, the practice's, or emergency
access), and each is audited."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pelvicoach.platform import audit
from pelvicoach.platform.access import Decision, require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db, limiter
from pelvicoach.platform.tenancy import external_url, require_tenant
from pelvicoach.programs.clinician import bp
from pelvicoach.programs.clinician.forms import PlanForm
from pelvicoach.programs.clinician.views import patient_or_404, record_page
from pelvicoach.programs.configuration.services import version_for
from pelvicoach.programs.followup import services as followup
from pelvicoach.programs.monitoring import adjustments, messages
from pelvicoach.programs.monitoring.adjustments import Change
from pelvicoach.programs.portal.messages import MessageForm
from pelvicoach.programs.training import services as training

ADJUSTMENT_PROBLEMS = {
    "reason": _l("Give a reason, and keep it and the note under 500 characters."),
    "level": _l("Choose a level her program has."),
    "unlocked": _l("Exercise therapy is open for her already."),
    "locked": _l("Exercise therapy is closed for her already."),
}


@bp.post("/<pseudonym>/messages")
@require_role(Role.CLINICIAN)
@limiter.limit("120 per hour", key_func=lambda: f"message:{current_user.id}")
def send_message(pseudonym: str):
    """Her clinician writes to her; she is told by e-mail that there is a message, no more."""
    record, decision = patient_or_404(pseudonym)
    if decision is not Decision.ALLOW:
        abort(403)
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
    record, decision = patient_or_404(pseudonym)
    if decision is not Decision.ALLOW:
        abort(403)
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
    record, decision = patient_or_404(pseudonym)
    if decision is not Decision.ALLOW:
        abort(403)
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
