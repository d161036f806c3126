"""Clinician views: her caseload and a patient's record, every read audited."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from pelvicoach.platform import audit
from pelvicoach.platform.access import Decision, decide, require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.programs.care import services
from pelvicoach.programs.enrolment import lifecycle
from pelvicoach.programs.enrolment.models import Patient
from pelvicoach.programs.enrolment.services import get_patient
from pelvicoach.programs.training import services as training

bp = Blueprint("clinician", __name__, template_folder="templates", url_prefix="/staff/patients")


@bp.get("/")
@require_role(Role.CLINICIAN)
def caseload():
    tenant = require_tenant()
    patients = services.caseload(tenant, current_user)
    audit.record("patients.list", object_type="patient", detail={"count": len(patients)})
    db.session.commit()
    return render_template("clinician/caseload.html", patients=patients)


def _patient_or_404(pseudonym: str) -> tuple[Patient, Decision]:
    record = get_patient(require_tenant().id, pseudonym)
    decision = decide(record)
    if decision is Decision.HIDE:
        abort(404)
    return record, decision


@bp.get("/<pseudonym>")
@require_role(Role.CLINICIAN)
def patient(pseudonym: str):
    record, decision = _patient_or_404(pseudonym)
    # Off her caseload: not a bare 403 but the audited emergency-access step.
    if decision is Decision.FORBID:
        return render_template("clinician/emergency_access.html", patient=record), 403
    services.record_read(record)
    plan = training.find_plan(record)
    db.session.commit()
    return render_template(
        "clinician/patient.html", patient=record, plan=plan, stop_reasons=lifecycle.REASONS
    )


@bp.post("/<pseudonym>/bladder-training")
@require_role(Role.CLINICIAN)
def bladder_training(pseudonym: str):
    """Her clinician switches bladder training on (or her own switch off again): audited."""
    record, decision = _patient_or_404(pseudonym)
    if decision is not Decision.ALLOW:
        abort(403)
    on = request.form.get("on") == "yes"
    training.plan_for(record).bladder_training = on
    audit.record(
        "patient.bladder_training",
        object_type="patient",
        object_id=record.pseudonym,
        detail={"on": on},
    )
    db.session.commit()
    flash(_("Bladder training is switched on.") if on else _("Your switch is off."), "success")
    return redirect(url_for("clinician.patient", pseudonym=pseudonym))


@bp.post("/<pseudonym>/emergency-access")
@require_role(Role.CLINICIAN)
def emergency_access(pseudonym: str):
    record, _decision = _patient_or_404(pseudonym)
    reason = (request.form.get("reason") or "").strip()
    if len(reason) < 10:
        flash(_("Please describe why you need access (at least 10 characters)."), "danger")
        return render_template("clinician/emergency_access.html", patient=record), 400
    services.grant_emergency_access(record, current_user, reason)
    db.session.commit()
    return redirect(url_for("clinician.patient", pseudonym=pseudonym))
