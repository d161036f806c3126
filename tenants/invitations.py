"""Joining a tenant's staff from an invitation: choose a password, then set up two-step
verification straight away (staff cannot work without it)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request

from pelvicoach.platform import audit
from pelvicoach.platform.auth import NewPasswordForm, begin_second_step
from pelvicoach.platform.extensions import db, limiter
from pelvicoach.platform.tenancy import require_tenant
from pelvicoach.platform.throttle import client_key
from pelvicoach.tenants.staff import services
from pelvicoach.tenants.staff.rules import ROLE_LABELS
from pelvicoach.tenants.staff.services import StaffError

bp = Blueprint("invitations", __name__, template_folder="templates")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], key_func=lambda: client_key(request.remote_addr))
def accept(token: str):
    tenant = require_tenant()
    invitation = services.open_invitation(tenant.id, token)
    if invitation is None:  # unknown, used, withdrawn, expired or another site's: all alike
        return render_template("auth/link_expired.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.accept(tenant.id, token, form.password.data or "")
        except StaffError as error:
            if "token" in error.problems:
                return render_template("auth/link_expired.html"), 404
            form.password.errors = [*form.password.errors, error.problems["password"]]
        else:
            db.session.flush()
            audit.record(
                "staff.joined",
                object_type="user",
                object_id=str(user.id),
                actor_id=user.id,
                detail={"after": {"roles": sorted(user.roles), "invitation": invitation.id}},
            )
            db.session.commit()
            return redirect(begin_second_step(user))  # a fresh cookie: no one else's session
    roles = ", ".join(str(ROLE_LABELS[role]) for role in invitation.roles if role in ROLE_LABELS)
    return render_template(
        "staff/accept_invitation.html", form=form, invitation=invitation, roles=roles
    )
