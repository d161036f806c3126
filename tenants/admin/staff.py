"""Staff: invite colleagues by e-mail, change their roles and details, deactivate them.

The rules (who may hold what, in which kind of tenant) live in `tenants.staff`; a refusal
comes back as messages per field. Every change is audited with the before and after.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import STAFF_ROLES, Role, User, UserRole
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import TenantLike, external_url, require_tenant
from pelvicoach.tenants.admin import bp
from pelvicoach.tenants.staff import services
from pelvicoach.tenants.staff.models import StaffInvitation
from pelvicoach.tenants.staff.rules import REGISTERS, ROLE_LABELS
from pelvicoach.tenants.staff.services import Details, StaffError


class DetailsForm(FlaskForm):
    roles = SelectMultipleField(
        _l("Roles"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    register = SelectField(
        _l("Register"), choices=[SelectChoice(name, name) for name in REGISTERS], default="BIG"
    )
    number = StringField(
        _l("Registration number (clinicians)"), validators=[Optional(), Length(max=20)]
    )
    organisation = StringField(
        _l("Organisation she works for (clinicians)"), validators=[Optional(), Length(max=160)]
    )
    care_provider = SelectField(_l("Contracted care provider (clinicians)"), coerce=int)
    team = StringField(
        _l("Team (clinicians, optional)"),
        validators=[Optional(), Length(max=60)],
        description=_l("Where a practice has several teams: the report can then show each."),
    )

    def fit(self, tenant: TenantLike) -> None:
        """At an insurer a clinician works for a contracted provider; at a practice she names
        her organisation."""
        if tenant.kind == "insurer":
            del self.organisation
            providers = services.contracted_providers(tenant.id)
            self.care_provider.choices = [SelectChoice(0, _("Choose…"))] + [
                SelectChoice(p.id, p.name) for p in providers
            ]
        else:
            del self.care_provider

    def details(self) -> Details:
        provider = getattr(self, "care_provider", None)
        organisation = getattr(self, "organisation", None)
        return Details(
            roles=frozenset(self.roles.data or []),
            register=self.register.data or "",
            number=self.number.data or "",
            organisation=(organisation.data or "") if organisation else "",
            care_provider_id=(provider.data or None) if provider else None,
            team=self.team.data or "",
        )

    def show(self, error: StaffError) -> None:
        for name, message in error.problems.items():
            field = getattr(self, name if name != "registration" else "number", None)
            if field is None:
                flash(message, "danger")
            else:
                field.errors = [*field.errors, message]


class InviteForm(DetailsForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])


def _staff(tenant_id: int) -> list[User]:
    """Accounts holding a staff role: never a patient, whom admins must not see."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.tenant_id == tenant_id,
                User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(STAFF_ROLES))),
            )
            .order_by(User.active.desc(), User.name)
        )
    )


def _open_invitations(tenant_id: int) -> list[StaffInvitation]:
    rows = db.session.scalars(
        select(StaffInvitation)
        .where(
            StaffInvitation.tenant_id == tenant_id,
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.revoked_at.is_(None),
        )
        .order_by(StaffInvitation.created_at.desc())
    )
    return [row for row in rows if row.open]


def _status(form: FlaskForm) -> int:
    """A refused change answers 422, with the form and its messages."""
    return 422 if request.method == "POST" and form.errors else 200


def _labels(roles: Any) -> str:
    return ", ".join(str(ROLE_LABELS[role]) for role in sorted(roles) if role in ROLE_LABELS)


@bp.route("/staff", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def staff():
    tenant = require_tenant()
    form = InviteForm()
    form.fit(tenant)
    if form.validate_on_submit():
        try:
            invitation = services.invite(
                tenant.id,
                tenant.kind,
                email=form.email.data or "",
                name=form.name.data or "",
                details=form.details(),
                invited_by=current_user.id,
                link=lambda token: external_url("invitations.accept", token=token),
                site_name=tenant.name,
                locale=str(get_locale()),
            )
        except StaffError as error:
            form.show(error)
        else:
            audit.record(
                "staff.invited",
                object_type="staff_invitation",
                object_id=str(invitation.id),
                detail={"after": {"email": invitation.email, "roles": invitation.roles}},
            )
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("admin.staff"))
    return render_template(
        "admin/staff.html",
        form=form,
        people=_staff(tenant.id),
        invitations=_open_invitations(tenant.id),
        labels=_labels,
    ), _status(form)


def _member(user_id: int) -> User:
    """A member of staff of this tenant; patients and strangers do not exist here."""
    user = db.session.get(User, user_id)
    if user is None or user.tenant_id != require_tenant().id or not user.is_staff:
        abort(404)
    return user


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def staff_member(user_id: int):
    tenant = require_tenant()
    user = _member(user_id)
    profile = services.profile_of(user)
    form = DetailsForm()
    form.fit(tenant)
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
        if profile is not None and profile.registration:
            form.register.data, form.number.data = profile.registration.split(" ", 1)
        if profile is not None and form.organisation is not None:
            form.organisation.data = profile.organisation
        if profile is not None and form.care_provider is not None:
            form.care_provider.data = profile.care_provider_id or 0
        if profile is not None:
            form.team.data = profile.team
    if form.validate_on_submit():
        before = services.describe(user)
        try:
            services.change(user, tenant.kind, form.details())
        except StaffError as error:
            form.show(error)
        else:
            db.session.flush()
            after = services.describe(user)
            if after != before:
                audit.record(
                    "staff.changed",
                    object_type="user",
                    object_id=str(user.id),
                    detail={"before": before, "after": after},
                )
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.staff"))
    return render_template(
        "admin/staff_member.html", form=form, member=user, labels=_labels
    ), _status(form)


@bp.post("/staff/<int:user_id>/<any(deactivate, reactivate):action>")
@require_role(Role.ADMIN)
def staff_status(user_id: int, action: str):
    user = _member(user_id)
    before = services.describe(user)
    try:
        if action == "deactivate":
            services.deactivate(user, current_user)
        else:
            services.reactivate(user)
    except StaffError as error:
        for message in error.problems.values():
            flash(message, "danger")
        return redirect(url_for("admin.staff_member", user_id=user.id))
    audit.record(
        f"staff.{action}d",
        object_type="user",
        object_id=str(user.id),
        detail={"before": before, "after": services.describe(user)},
    )
    db.session.commit()
    if action == "deactivate":
        flash(_("%(name)s can no longer sign in.", name=user.name), "info")
    else:
        flash(_("%(name)s can sign in again.", name=user.name), "info")
    return redirect(url_for("admin.staff"))


@bp.post("/staff/invitations/<int:invitation_id>/revoke")
@require_role(Role.ADMIN)
def revoke_invitation(invitation_id: int):
    invitation = db.session.get(StaffInvitation, invitation_id)
    if invitation is None or invitation.tenant_id != require_tenant().id:
        abort(404)
    if invitation.open:
        services.revoke(invitation)
        audit.record(
            "staff.invitation_revoked",
            object_type="staff_invitation",
            object_id=str(invitation.id),
            detail={"before": {"email": invitation.email, "roles": invitation.roles}},
        )
        db.session.commit()
        flash(_("The invitation to %(email)s no longer works.", email=invitation.email), "info")
    return redirect(url_for("admin.staff"))
