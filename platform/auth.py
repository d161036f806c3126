"""Signing in and out of a tenant's site, and which account a session belongs to."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from pelvicoach.platform.accounts import Role, User, authenticate
from pelvicoach.platform.extensions import db, limiter, login_manager
from pelvicoach.platform.tenancy import require_tenant

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        # Phone keyboards like to add a trailing space after an address.
        filters=[lambda value: value.strip() if value else value],
        validators=[DataRequired(), Email(), Length(max=254)],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=512)])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """A session only counts on the site of the account's own tenant (or, for the operator,
    outside every tenant), so one browser signed in at tenant A is anonymous at tenant B."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    tenant = g.get("tenant")
    if user is None or user.tenant_id != (tenant.id if tenant else None):
        return None
    return user


def home_for(user: User) -> str:
    if user.has_role(Role.PATIENT):
        return url_for("portal.home")
    return url_for("staff.home")


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, so the login form cannot be used as an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    tenant = require_tenant()
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(tenant.id, form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        flash(_l("That e-mail address and password do not match. Please try again."), "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    require_tenant()
    logout_user()
    flash(_l("You are signed out."), "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    app.register_blueprint(bp)
