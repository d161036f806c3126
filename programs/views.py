"""The patient portal."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.auth import home_for
from pelvicoach.platform.tenancy import current_tenant, require_tenant
from pelvicoach.programs import content_files
from pelvicoach.programs.services import patient_for_user, who_looked

bp = Blueprint("portal", __name__, template_folder="templates")


@bp.get("/")
def home():
    tenant = current_tenant()
    if tenant is None:  # the platform's own root: the operator's console, or its sign-in
        if current_user.is_authenticated:
            return redirect(home_for(current_user))
        return redirect(url_for("auth.login"))
    if not current_user.is_authenticated:
        return render_template("portal/welcome.html")
    if not current_user.has_role(Role.PATIENT):
        return redirect(url_for("staff.home"))
    patient = patient_for_user(tenant.id, current_user.id)
    return render_template(
        "portal/home.html", patient=patient, steps=content_files.phases(str(get_locale()))
    )


@bp.get("/my-data/access")
@require_role(Role.PATIENT)
def access_log():
    """Who at her care provider opened her record, and when (NEN 7513 inzage)."""
    tenant = require_tenant()
    patient = patient_for_user(tenant.id, current_user.id)
    if patient is None:
        abort(404)
    return render_template("portal/access_log.html", entries=who_looked(patient))
