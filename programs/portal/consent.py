"""Her consent, from her data page: what she agreed to and when, withdrawing her consent to the
use of her health data, and giving it again. While the coach is stopped for her (she withdrew,
or her tenant ended her enrolment), only the pages about her data and her account stay open;
every coaching page sends her home, where she reads why and what she can do."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import current_tenant
from pelvicoach.programs.enrolment import lifecycle
from pelvicoach.programs.enrolment.invitations import CONSENT_VERSION
from pelvicoach.programs.enrolment.models import ConsentKind, StopReason
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.patient import her

# Files every page needs, which say nothing about her.
ASSETS = frozenset(
    {
        "portal.static",
        "portal.manifest",
        "portal.app_icon",
        "portal.service_worker",
        "portal.offline",
    }
)
# What she can still reach while the coach is stopped: her data, her account, the way out.
OPEN_WHILE_STOPPED = frozenset(
    {
        "portal.home",
        "portal.my_data",
        "portal.my_data_json",
        "portal.access_log",
        "portal.consent",
        "portal.delete_account",
        "portal.reminder_settings",
        "portal.unsubscribe",
        "portal.care_providers",
    }
)


CONSENT_LABELS = {
    ConsentKind.TERMS: _l("The terms of use"),
    ConsentKind.PRIVACY: _l("The privacy statement (read)"),
    ConsentKind.HEALTH_DATA: _l("The use of my health data to coach me"),
}


@bp.app_template_global("consent_label")
def consent_label(kind: str) -> str:
    return str(CONSENT_LABELS[ConsentKind(kind)])


class WithdrawForm(FlaskForm):
    pass


class ConsentForm(FlaskForm):
    health_data = BooleanField(
        _l(
            "I agree that my answers, exercises and notes about my health are used to coach me."
            " I can withdraw this at any time."
        ),
        validators=[DataRequired(_l("Tick this box to go on with the coach."))],
    )


@bp.before_request
def coach_stopped():
    """A coaching page asked for while the coach is stopped for her: home, which says why.
    `g.coach_stopped` hides the coaching pages from her navigation."""
    if request.endpoint in ASSETS or current_tenant() is None:
        return None
    if not current_user.is_authenticated or not current_user.has_role(Role.PATIENT):
        return None
    g.coach_stopped = her().patient.stopped_at is not None
    if g.coach_stopped and request.endpoint not in OPEN_WHILE_STOPPED:
        return redirect(url_for("portal.home"))
    return None


@bp.route("/my-data/consent", methods=["GET", "POST"])
@require_role(Role.PATIENT)
def consent():
    patient = her().patient
    withdraw, again = WithdrawForm(prefix="withdraw"), ConsentForm(prefix="again")
    action = request.form.get("action")
    if action == "withdraw" and patient.stopped_at is None and withdraw.validate_on_submit():
        lifecycle.withdraw_consent(patient)
        audit.record(
            "patient.consent_withdrawn", object_type="patient", object_id=patient.pseudonym
        )
        db.session.commit()
        flash(_("You have withdrawn your consent. The coach has stopped."), "success")
        return redirect(url_for("portal.home"))
    resuming = action == "again" and patient.stop_reason == StopReason.WITHDRAWN
    if resuming and again.validate_on_submit():
        lifecycle.consent_again(patient)
        audit.record(
            "patient.consent_given",
            object_type="patient",
            object_id=patient.pseudonym,
            detail={"version": CONSENT_VERSION},
        )
        db.session.commit()
        flash(_("Welcome back. The coach goes on where you were."), "success")
        return redirect(url_for("portal.home"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "portal/consent.html",
        patient=patient,
        consents=lifecycle.consents(patient),
        withdraw=withdraw,
        again=again,
    ), status
