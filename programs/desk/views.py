"""Invite a woman (her account and place in the program, and the e-mail with her link), see
each invitation's state, send it again or withdraw it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from sqlalchemy import or_, select
from wtforms import DateField, EmailField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role, User, UserRole
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import external_url, require_tenant
from pelvicoach.programs.desk import bp
from pelvicoach.programs.enrolment import invitations
from pelvicoach.programs.enrolment.labels import COHORTS
from pelvicoach.programs.enrolment.models import Patient, PatientInvitation
from pelvicoach.programs.enrolment.schemas import EnrolmentSchema
from pelvicoach.programs.enrolment.services import EnrolmentError, enrol
from pelvicoach.tenants.models import TenantInfo

STATES = {
    "sent": _l("sent"),
    "opened": _l("opened"),
    "registered": _l("registered"),
    "expired": _l("expired"),
    "revoked": _l("withdrawn"),
}


class InviteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    email = EmailField(_l("E-mail address"), validators=[DataRequired()])
    cohort = SelectField(
        _l("Group"), choices=[SelectChoice(c.value, label) for c, label in COHORTS.items()]
    )
    birth_year = IntegerField(_l("Year of birth"), validators=[DataRequired()])
    delivery_date = DateField(
        _l("Date she gave birth (or is expected to)"), validators=[Optional()]
    )
    clinician = SelectField(_l("Her clinician (optional)"))


def _clinicians(tenant_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole)
            .where(User.tenant_id == tenant_id, User.active, UserRole.role == Role.CLINICIAN)
            .order_by(User.name)
        )
    )


def _open_to_her(tenant: TenantInfo) -> list[Any]:
    """The invitations she may see and act on. The enrolment desk's staff see all; a clinician
    who is not one of them sees only the women on her caseload and those she invited herself
    (the whole practice's where it opens every patient to its clinicians)."""
    if current_user.has_role(Role.ENROLMENT) or tenant.clinicians_see_all_patients:
        return []
    return [
        or_(
            Patient.clinician_id == current_user.id, PatientInvitation.invited_by == current_user.id
        )
    ]


def _link(token: str) -> str:
    return external_url("portal.first_visit", token=token)


def _invite(patient: Patient) -> PatientInvitation:
    tenant = require_tenant()
    return invitations.invite(
        patient,
        invited_by=current_user.id,
        link=_link,
        site_name=tenant.name,
        locale=patient.user.locale or str(get_locale()),
    )


@bp.route("/", methods=["GET", "POST"])
@require_role(Role.ENROLMENT, Role.CLINICIAN)
def desk():
    tenant = require_tenant()
    form = InviteForm()
    form.clinician.choices = [SelectChoice("", _("Nobody yet"))] + [
        SelectChoice(user.email, user.name) for user in _clinicians(tenant.id)
    ]
    if form.validate_on_submit():
        data = {
            "email": form.email.data,
            "name": form.name.data,
            "cohort": form.cohort.data,
            "birth_year": form.birth_year.data,
            "delivery_date": form.delivery_date.data.isoformat()
            if form.delivery_date.data
            else None,
            "clinician_email": form.clinician.data or None,
        }
        try:
            patient = enrol(tenant, **EnrolmentSchema().load(data))
        except ValidationError as invalid:
            for name, problems in invalid.messages.items():
                field = form._fields.get("clinician" if name == "clinician_email" else name)
                if field is not None:
                    field.errors = [*field.errors, *(_(problem) for problem in problems)]
        except EnrolmentError as refused:
            db.session.rollback()
            name, _sep, message = str(refused).partition(": ")
            form._fields["clinician" if name == "clinician_email" else name].errors = [message]
        else:
            invitation = _invite(patient)
            audit.record(
                "patient.invited",
                object_type="patient",
                object_id=patient.pseudonym,
                detail={"after": {"invitation": invitation.id}},
            )
            db.session.commit()
            flash(_("%(name)s is invited.", name=patient.user.name), "success")
            return redirect(url_for("desk.desk"))
    rows = db.session.execute(
        select(PatientInvitation, Patient)
        .join(Patient, Patient.id == PatientInvitation.patient_id)
        .where(PatientInvitation.tenant_id == tenant.id, *_open_to_her(tenant))
        .order_by(PatientInvitation.sent_at.desc())
        .limit(200)
    ).all()
    now = datetime.now(UTC)
    status = 422 if request.method == "POST" and form.errors else 200
    page = render_template(
        "desk/desk.html",
        form=form,
        rows=[(invitation, patient, invitation.state(now)) for invitation, patient in rows],
        states=STATES,
    )
    # Their names and e-mail addresses were read: on record, as a clinician's caseload is.
    audit.record("invitations.list", object_type="patient", detail={"count": len(rows)})
    db.session.commit()
    return page, status


def _invitation(invitation_id: int) -> PatientInvitation:
    """One of the invitations the desk shows her: any other answers as a missing one."""
    tenant = require_tenant()
    invitation = db.session.scalar(
        select(PatientInvitation)
        .join(Patient, Patient.id == PatientInvitation.patient_id)
        .where(
            PatientInvitation.id == invitation_id,
            PatientInvitation.tenant_id == tenant.id,
            *_open_to_her(tenant),
        )
    )
    if invitation is None:
        abort(404)
    return invitation


@bp.post("/<int:invitation_id>/<any(resend, revoke):action>")
@require_role(Role.ENROLMENT, Role.CLINICIAN)
def invitation(invitation_id: int, action: str):
    row = _invitation(invitation_id)
    patient = db.session.get(Patient, row.patient_id)
    if row.registered_at is not None or patient.user is None or patient.user.password_hash:
        abort(404)  # she has registered (by this link or another): nothing to send or withdraw
    if action == "resend":
        new = _invite(patient)
        detail = {"before": {"invitation": row.id}, "after": {"invitation": new.id}}
        flash(_("A new link is on its way to %(name)s.", name=patient.user.name), "success")
    else:
        invitations.revoke(row)
        detail = {"before": {"invitation": row.id}, "after": {"invitation": None}}
        flash(_("The link of %(name)s no longer works.", name=patient.user.name), "info")
    audit.record(
        f"patient.invitation_{action}",
        object_type="patient",
        object_id=patient.pseudonym,
        detail=detail,
    )
    db.session.commit()
    return redirect(url_for("desk.desk"))
