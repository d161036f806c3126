"""Campaign codes: made by an enrolment officer or an admin for a magazine or a leaflet (group,
how many women, until when), their uses counted, withdrawn when no longer wanted. Counts only:
nobody's identity is shown here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import external_url, require_tenant
from pelvicoach.programs.desk import bp
from pelvicoach.programs.enrolment import codes
from pelvicoach.programs.enrolment.labels import COHORTS

STATES = {
    "active": _l("in use"),
    "expired": _l("expired"),
    "used_up": _l("used up"),
    "revoked": _l("withdrawn"),
}


class CodeForm(FlaskForm):
    label = StringField(_l("Where it is printed"), validators=[DataRequired(), Length(max=120)])
    cohort = SelectField(
        _l("Group"), choices=[SelectChoice(c.value, label) for c, label in COHORTS.items()]
    )
    max_uses = IntegerField(
        _l("How many women may use it"),
        validators=[DataRequired(), NumberRange(min=1, max=1_000_000)],
    )
    expires_on = DateField(_l("Valid until"), validators=[DataRequired()])
    code = StringField(
        _l("Your own code (optional; otherwise we make one)"),
        validators=[
            Optional(),
            Length(min=6, max=32),
            Regexp(r"^[A-Za-z0-9 -]+$", message=_l("Letters, digits, spaces and dashes only.")),
        ],
    )


@bp.route("/codes", methods=["GET", "POST"])
@require_role(Role.ENROLMENT, Role.ADMIN)
def codes_page():
    tenant = require_tenant()
    form = CodeForm()
    if request.method == "GET":
        form.expires_on.data = date.today() + timedelta(days=365)
    if form.validate_on_submit():
        if form.expires_on.data < date.today():
            form.expires_on.errors = [_("This date has passed.")]
        else:
            try:
                row = codes.create_code(
                    tenant.id,
                    label=form.label.data.strip(),
                    cohort=form.cohort.data,
                    max_uses=form.max_uses.data,
                    expires_on=form.expires_on.data,
                    created_by=current_user.id,
                    code=form.code.data,
                )
            except codes.CodeError as refused:
                form.code.errors = [str(refused)]
            else:
                audit.record(
                    "campaign_code.created",
                    object_type="campaign_code",
                    object_id=str(row.id),
                    detail={"after": {"label": row.label, "max_uses": row.max_uses}},
                )
                db.session.commit()
                flash(_("Code %(code)s is ready.", code=row.code), "success")
                return redirect(url_for("desk.codes_page"))
    rows = db.session.scalars(
        select(codes.CampaignCode)
        .where(codes.CampaignCode.tenant_id == tenant.id)
        .order_by(codes.CampaignCode.created_at.desc())
    ).all()
    status = 422 if request.method == "POST" and form.errors else 200
    return render_template(
        "desk/codes.html",
        form=form,
        rows=rows,
        today=date.today(),
        states=STATES,
        join_url=external_url("portal.join"),
    ), status


@bp.post("/codes/<int:code_id>/revoke")
@require_role(Role.ENROLMENT, Role.ADMIN)
def revoke_code(code_id: int):
    row = db.session.get(codes.CampaignCode, code_id)
    if row is None or row.tenant_id != require_tenant().id:
        abort(404)
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        audit.record("campaign_code.revoked", object_type="campaign_code", object_id=str(row.id))
        db.session.commit()
        flash(_("Code %(code)s no longer works.", code=row.code), "info")
    return redirect(url_for("desk.codes_page"))
