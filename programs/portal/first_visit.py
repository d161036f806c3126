"""Her first visit, from the invitation in her e-mail: a password, the terms, the tenant's
privacy statement and her explicit consent to the use of her health data, then straight in."""

from __future__ import annotations

from flask import redirect, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from pelvicoach.platform import audit
from pelvicoach.platform.auth import finish_login
from pelvicoach.platform.extensions import db, limiter
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.platform.throttle import client_key
from pelvicoach.programs.enrolment import invitations
from pelvicoach.programs.enrolment.models import ConsentKind
from pelvicoach.programs.portal import bp


class FirstVisitForm(FlaskForm):
    password = PasswordField(_l("Choose a password"), validators=[DataRequired(), Length(max=512)])
    confirm = PasswordField(
        _l("The same password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    terms = BooleanField(_l("I agree to the terms of use."))
    privacy = BooleanField(_l("I have read the privacy statement."))
    health_data = BooleanField(
        _l(
            "I agree that my answers, exercises and notes about my health are used to coach me."
            " I can withdraw this at any time."
        )
    )


@bp.route("/welcome/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], key_func=lambda: client_key(request.remote_addr))
def first_visit(token: str):
    tenant = require_tenant()
    invitation = invitations.open_invitation(tenant.id, token)
    if invitation is None:  # unknown, used, withdrawn, expired or another site's: all alike
        db.session.rollback()
        return render_template("auth/link_expired.html"), 404
    db.session.commit()  # opened
    form = FirstVisitForm()
    if form.validate_on_submit():
        agreed = {kind for kind in ConsentKind if form[kind.value].data}
        try:
            patient = invitations.register(invitation, form.password.data or "", agreed)
        except invitations.InvitationError as error:
            db.session.rollback()
            if "token" in error.problems:
                return render_template("auth/link_expired.html"), 404
            for name, message in error.problems.items():
                form[name].errors = [*form[name].errors, message]
        else:
            audit.record(
                "patient.registered",
                object_type="patient",
                object_id=patient.pseudonym,
                actor_id=patient.user_id,
                detail={"consents": sorted(agreed), "version": invitations.CONSENT_VERSION},
            )
            return redirect(finish_login(patient.user, "invitation"))
    status = 422 if request.method == "POST" and form.errors else 200
    return render_template("portal/first_visit.html", form=form), status
