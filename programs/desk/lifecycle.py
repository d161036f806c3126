"""Ending an enrolment, and how long a tenant keeps the data of women who stopped coming. By
pseudonym only: an officer or admin ends a place without seeing anyone's record."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import external_url, require_tenant
from pelvicoach.programs.desk import bp
from pelvicoach.programs.enrolment import lifecycle
from pelvicoach.programs.enrolment.models import StopReason
from pelvicoach.programs.enrolment.services import get_patient
from pelvicoach.tenants.services import change_setting

RETENTION_MONTHS = (6, 120)


class EndForm(FlaskForm):
    pseudonym = StringField(_l("Pseudonym"), validators=[DataRequired(), Length(max=16)])
    reason = SelectField(
        _l("Reason"),
        choices=[
            SelectChoice(reason.value, lifecycle.REASONS[reason])
            for reason in lifecycle.END_REASONS
        ],
    )


class RetentionForm(FlaskForm):
    months = IntegerField(
        _l("Months without a visit"),
        validators=[DataRequired(), NumberRange(*RETENTION_MONTHS)],
    )


def _page(end: EndForm, retention: RetentionForm, status: int = 200):
    tenant = require_tenant()
    officer = current_user.has_role(Role.ENROLMENT)
    if retention.months.data is None and not retention.errors:
        retention.months.data = tenant.retention_months
    return render_template(
        "desk/enrolments.html",
        end=end,
        retention=retention,
        # Officers work with names and pseudonyms; an admin sees no one, only the counts.
        stopped=lifecycle.stopped(tenant.id) if officer else [],
        counts={} if officer else lifecycle.stopped_counts(tenant.id),
        reasons=lifecycle.REASONS,
    ), status


@bp.get("/enrolments")
@require_role(Role.ENROLMENT, Role.ADMIN)
def enrolments():
    return _page(EndForm(), RetentionForm())


@bp.post("/enrolments/end")
@require_role(Role.ENROLMENT, Role.ADMIN)
def end_enrolment():
    tenant = require_tenant()
    form = EndForm()
    if form.validate_on_submit():
        patient = get_patient(tenant.id, form.pseudonym.data.strip().upper())
        if patient is None or patient.erased_at is not None:
            form.pseudonym.errors = [_l("Nobody in your program has this pseudonym.")]
        else:
            reason = StopReason(form.reason.data)
            try:
                lifecycle.end(
                    patient, reason, site_name=tenant.name, link=external_url("portal.home")
                )
            except lifecycle.LifecycleError:
                form.pseudonym.errors = [_l("This enrolment has ended already.")]
            else:
                audit.record(
                    "patient.enrolment_ended",
                    object_type="patient",
                    object_id=patient.pseudonym,
                    detail={"reason": reason.value},
                )
                db.session.commit()
                flash(_("The enrolment has ended."), "success")
                return redirect(url_for("desk.enrolments"))
    return _page(form, RetentionForm(formdata=None), 422)


@bp.post("/enrolments/retention")
@require_role(Role.ADMIN)
def retention():
    form = RetentionForm()
    if form.validate_on_submit():
        change_setting(
            require_tenant().id, "retention_months", form.months.data, "retention.changed"
        )
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("desk.enrolments"))
    return _page(EndForm(formdata=None), form, 422)
