"""The operator's console for tenants: bring one on board, invite its admins, custom domains,
suspend and reactivate. The operator sees tenants and their staff invitations, never patient
data; every action is audited in the platform's chain (and the tenant's, where it changes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from pelvicoach.platform import audit
from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import current_tenant, tenant_context, tenant_site_url
from pelvicoach.tenants import onboarding, services
from pelvicoach.tenants.models import Tenant, TenantDomain, TenantKind, TenantStatus
from pelvicoach.tenants.services import TenantError
from pelvicoach.tenants.staff.models import StaffInvitation
from pelvicoach.tenants.staff.services import StaffError

bp = Blueprint("console", __name__, template_folder="templates", url_prefix="/operator/tenants")

KIND_LABELS = {TenantKind.INSURER: _l("Health insurer"), TenantKind.PRACTICE: _l("Practice")}


@bp.before_request
def platform_only() -> None:
    if current_tenant() is not None:
        abort(404)


class AdminForm(FlaskForm):
    admin_name = StringField(
        _l("Name of the first admin"), validators=[DataRequired(), Length(max=120)]
    )
    admin_email = EmailField(
        _l("Her e-mail address"), validators=[DataRequired(), Email(), Length(max=254)]
    )


class TenantForm(AdminForm):
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()]
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(
        _l("Short name for its address"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("Lower-case letters, digits and hyphens, e.g. horizon."),
    )


class DomainForm(FlaskForm):
    domain = StringField(
        _l("Custom domain"),
        validators=[DataRequired(), Length(max=253)],
        description=_l("e.g. bekkenbodem.horizon.nl, pointed at the platform by the tenant."),
    )


def _show(form: FlaskForm, error: TenantError | StaffError, fields: dict[str, str]) -> None:
    """A service's problems onto the form's fields (named as the form names them)."""
    for name, message in error.problems.items():
        field = getattr(form, fields.get(name, name), None)
        if field is None:
            flash(message, "danger")
        else:
            field.errors = [*field.errors, message]


def _audit(action: str, row: Tenant, detail: dict[str, Any]) -> None:
    """In the platform's chain: the operator's work is the platform's, not the tenant's."""
    audit.record(action, tenant_id=None, object_type="tenant", object_id=str(row.id), detail=detail)


def _link(slug: str):
    return lambda token: tenant_site_url(slug, "invitations.accept", token=token)


@bp.get("/")
@require_role(Role.OPERATOR)
def tenants():
    rows = db.session.scalars(select(Tenant).order_by(Tenant.name)).all()
    return render_template("console/tenants.html", tenants=rows, kinds=KIND_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@require_role(Role.OPERATOR)
def new():
    form = TenantForm()
    if form.validate_on_submit():
        slug = (form.slug.data or "").strip().lower()
        try:
            tenant = onboarding.onboard(
                slug=slug,
                name=form.name.data or "",
                kind=form.kind.data or "",
                admin_name=form.admin_name.data or "",
                admin_email=form.admin_email.data or "",
                link=_link(slug),
                locale=str(get_locale()),
            )
        except (TenantError, StaffError) as error:
            db.session.rollback()
            _show(form, error, {"email": "admin_email"})
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s is ready. Its first admin has an invitation by e-mail.",
                    name=tenant.name,
                ),
                "success",
            )
            return redirect(url_for("console.tenant", tenant_id=tenant.id))
    return render_template("console/new.html", form=form), 422 if form.errors else 200


def _tenant(tenant_id: int) -> Tenant:
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        abort(404)
    return tenant


def _admin_invitations(tenant: Tenant) -> list[StaffInvitation]:
    with tenant_context(tenant.id, db.session):
        rows = db.session.scalars(
            select(StaffInvitation)
            .where(StaffInvitation.tenant_id == tenant.id)
            .order_by(StaffInvitation.created_at.desc())
            .limit(20)
        ).all()
    return [row for row in rows if "admin" in row.roles]


@bp.get("/<int:tenant_id>")
@require_role(Role.OPERATOR)
def tenant(tenant_id: int):
    row = _tenant(tenant_id)
    return _detail(row, DomainForm(formdata=None), AdminForm(formdata=None))


def _detail(row: Tenant, domain_form: DomainForm, admin_form: AdminForm, status: int = 200):
    return (
        render_template(
            "console/tenant.html",
            tenant_row=row,
            kinds=KIND_LABELS,
            domains=services.domains(row.id),
            invitations=_admin_invitations(row),
            domain_form=domain_form,
            admin_form=admin_form,
            site=tenant_site_url(row.slug, "portal.home"),
        ),
        status,
    )


@bp.post("/<int:tenant_id>/status")
@require_role(Role.OPERATOR)
def status(tenant_id: int):
    row = _tenant(tenant_id)
    wanted = TenantStatus.SUSPENDED if row.is_active else TenantStatus.ACTIVE
    before = row.status
    if services.set_status(row, wanted):
        _audit(
            "tenant.suspended" if wanted == TenantStatus.SUSPENDED else "tenant.reactivated",
            row,
            {"before": {"status": before}, "after": {"status": row.status}},
        )
        db.session.commit()
    if row.is_active:
        flash(_("%(name)s is active again.", name=row.name), "success")
    else:
        flash(_("%(name)s is suspended: nobody can use its site.", name=row.name), "info")
    return redirect(url_for("console.tenant", tenant_id=row.id))


@bp.post("/<int:tenant_id>/domains")
@require_role(Role.OPERATOR)
def add_domain(tenant_id: int):
    row = _tenant(tenant_id)
    form = DomainForm()
    if form.validate_on_submit():
        domain = (form.domain.data or "").strip().lower().rstrip(".")
        try:
            if services.domain_in_use(domain):  # the whole directory is visible here
                raise TenantError("domain", _("%(domain)s is in use by a tenant.", domain=domain))
            with tenant_context(row.id, db.session):
                services.add_domain(row, domain)
        except TenantError as error:
            db.session.rollback()
            _show(form, error, {})
        except IntegrityError:
            db.session.rollback()
            form.domain.errors = [_("%(domain)s is in use by a tenant.", domain=domain)]
        else:
            _audit("tenant.domain_added", row, {"after": {"domain": domain}})
            db.session.commit()
            flash(_("%(domain)s now serves %(name)s.", domain=domain, name=row.name), "success")
            return redirect(url_for("console.tenant", tenant_id=row.id))
    return _detail(row, form, AdminForm(formdata=None), 422)


@bp.post("/<int:tenant_id>/domains/<domain>/remove")
@require_role(Role.OPERATOR)
def remove_domain(tenant_id: int, domain: str):
    row = _tenant(tenant_id)
    with tenant_context(row.id, db.session):
        found = db.session.get(TenantDomain, domain)
        if found is None or found.tenant_id != row.id:
            abort(404)
        db.session.delete(found)
    _audit("tenant.domain_removed", row, {"before": {"domain": domain}})
    db.session.commit()
    flash(_("%(domain)s no longer serves %(name)s.", domain=domain, name=row.name), "info")
    return redirect(url_for("console.tenant", tenant_id=row.id))


@bp.post("/<int:tenant_id>/admins")
@require_role(Role.OPERATOR)
def invite_admin(tenant_id: int):
    row = _tenant(tenant_id)
    form = AdminForm()
    if form.validate_on_submit():
        try:
            onboarding.invite_admin(
                row,
                name=form.admin_name.data or "",
                email=form.admin_email.data or "",
                link=_link(row.slug),
                locale=str(get_locale()),
            )
        except StaffError as error:
            db.session.rollback()
            _show(form, error, {"email": "admin_email"})
        else:
            db.session.commit()
            flash(_("Invitation sent."), "success")
            return redirect(url_for("console.tenant", tenant_id=row.id))
    return _detail(row, DomainForm(formdata=None), form, 422)
