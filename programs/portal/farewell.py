"""Deleting her account, from her data page: she confirms with her password, everything that
names her is erased (programs.enrolment.erasure), she is signed out everywhere."""

from __future__ import annotations

from flask import g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db, limiter
from pelvicoach.programs.enrolment import erasure
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.patient import her


class DeleteForm(FlaskForm):
    password = PasswordField(
        _l("Your password, to confirm"), validators=[DataRequired(), Length(max=512)]
    )


@bp.route("/my-data/delete", methods=["GET", "POST"])
@require_role(Role.PATIENT)
@limiter.limit("10 per hour", methods=["POST"], key_func=lambda: f"erase:{current_user.id}")
def delete_account():
    patient = her().patient
    form = DeleteForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.password.data or ""):
            form.password.errors = [_l("This is not your password.")]
        else:
            pseudonym = patient.pseudonym
            erasure.erase(patient)  # her sessions go with her account
            audit.record(
                "patient.erased",
                object_type="patient",
                object_id=pseudonym,
                actor_id=None,
                actor_roles="patient",
                detail={"by": "herself"},
            )
            db.session.commit()
            logout_user()
            g.clear_site_data = True
            return render_template("portal/farewell.html")
    status = 422 if request.method == "POST" and form.errors else 200
    return render_template("portal/delete_account.html", form=form), status
