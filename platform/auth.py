"""Signing in and out: password, then (for staff always) a second step; reset by e-mail.

The same views serve every tenant's site and, outside any tenant, the platform operator. An
account only counts on the site of its own tenant, so one browser signed in at tenant A is
anonymous at tenant B. Failure messages never tell whether an address has an account.
"""

from __future__ import annotations

import math
import re
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from pelvicoach.platform import (
    audit,
    known_devices,
    password_reset,
    passwords,
    sessions,
    throttle,
    twofactor,
)
from pelvicoach.platform.accounts import Role, User, authenticate, find_user
from pelvicoach.platform.extensions import db, limiter, login_manager
from pelvicoach.platform.jobs import after_response
from pelvicoach.platform.mail import queue_mail
from pelvicoach.platform.tenancy import current_tenant, external_url

bp = Blueprint("auth", __name__)

SAFE_PATH = re.compile(r"/[A-Za-z0-9/._~%!$&'()*+,;=:@?-]*")
PENDING_TTL = 600  # seconds between the password and the second step
IP_LIMIT = "30 per minute"
# Codes are counted before they are checked (Flask-Limiter's hit), with growing waits.
SECOND_STEP_LIMIT = "5 per 5 minutes; 10 per hour; 20 per day"


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        # Phone keyboards like to add a trailing space after an address.
        filters=[_strip],
        validators=[DataRequired(), Email(), Length(max=254)],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=512)])


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"), filters=[_strip], validators=[DataRequired(), Length(min=6, max=20)]
    )


class SetupForm(CodeForm):
    # Asked of someone signed in: a session alone (a borrowed phone, a stolen cookie) must not
    # put someone else's authenticator on her account and lock her out.
    password = PasswordField(_l("Your password"))


class ForgotForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[DataRequired(), Email(), Length(max=254)],
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=512)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The account of the cookie's sign-in session, if that session still counts on this site."""
    tenant = g.get("tenant")
    found = sessions.resume(token, tenant.id if tenant else None)
    if found is None:
        return None
    user, row = found
    if sessions.needs_touch(row):
        after_response(sessions.touch, row.id, row.user_id, row.tenant_id)
    user.session_key = token
    g.account_locale = user.locale  # the page's language, if she chose none (i18n)
    return user


def _fresh_session() -> None:
    """Start the cookie afresh at each step of signing in, so nothing planted in it before (a
    CSRF token, a half-set-up second factor) carries over. The language and messages stay."""
    kept = {key: session[key] for key in ("lang", "_flashes") if key in session}
    session.clear()
    session.update(kept)


def _sign_in(user: User) -> None:
    """Open a server-side session and put its token in the cookie; remember this browser."""
    _fresh_session()
    user.session_key = sessions.start(user)
    login_user(user)
    g.account_locale = user.locale
    session.permanent = True  # the cookie may outlive the browser; the server decides
    known_devices.remember(throttle.account_key(user.tenant_id, user.email))
    g.clear_site_data = True


def home_for(user: User) -> str:
    if user.has_role(Role.PATIENT):
        return url_for("portal.home")
    if user.has_role(Role.OPERATOR):
        return url_for("operator.home")
    return url_for("staff.home")


def _safe_next(target: str | None) -> str | None:
    """Only plain same-site paths, so the login form cannot be used as an open redirect
    (browsers read a backslash as a slash; control characters would break the header)."""
    if not target or not SAFE_PATH.fullmatch(target) or target.startswith("//"):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def _tenant_id() -> int | None:
    tenant = current_tenant()
    return tenant.id if tenant else None


def _reset_key() -> str:
    """Reset requests are limited per address typed, known or not."""
    return "reset:" + throttle.account_key(_tenant_id(), request.form.get("email") or "")


def _pending_key() -> str:
    """Per account being signed in (or signed in); per address for anyone else."""
    if current_user.is_authenticated:
        return f"second-step:user:{current_user.id}"
    uid = session.get("pending_login", {}).get("uid")
    return f"second-step:user:{uid}" if uid else f"second-step:ip:{_client_key()}"


def _refused(verdict: throttle.Verdict, form: LoginForm):
    """Too many tries: the form again, saying how long to wait, with a 429. The first refusal
    of a client in a window is audited, not every one of a flood."""
    minutes = math.ceil(verdict.retry_after / 60)  # retry_after is at least 1 s
    if verdict.first_refusal:
        audit.record(
            "login.throttled", detail={"locked": verdict.locked, "wait": verdict.retry_after}
        )
        db.session.commit()
    if verdict.locked:
        message = _(
            "Signing in with this address is paused for %(minutes)s minutes after many failed"
            " attempts. You can also choose a new password.",
            minutes=minutes,
        )
    else:
        message = _("Too many attempts. Please try again in %(minutes)s minutes.", minutes=minutes)
    flash(message, "danger")
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(verdict.retry_after)
    return response


def _locked(user: User | None) -> None:
    """The account is locked after failures from many clients: record it, tell the owner."""
    audit.record(
        "login.locked",
        object_type="user" if user else None,
        object_id=str(user.id) if user else None,
        actor_id=user.id if user else None,
        detail={"minutes": throttle.LOCK_FOR // 60},
    )
    if user is None:
        return
    tenant = current_tenant()
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        queue_mail(
            tenant_id=user.tenant_id,
            to=user.email,
            subject=_(
                "Many failed sign-in attempts at %(site)s",
                site=tenant.name if tenant else "Pelvicoach",
            ),
            body=_(
                "Hello %(name)s,\n\nSomeone tried many times to sign in with your e-mail"
                " address and a wrong password. To protect your account we have paused signing"
                " in with a password for %(minutes)s minutes, except on devices where you have"
                " signed in before.\n\nWas this not you? Your password is still safe. To be"
                " sure, you can choose a new one here:\n%(link)s\n",
                name=user.name,
                minutes=throttle.LOCK_FOR // 60,
                link=external_url("auth.forgot_password"),
            ),
            purpose="login_locked",
        )


def finish_login(user: User, method: str) -> str:
    """Sign her in afresh (a new server-side session and cookie), audit it, commit; her home."""
    _sign_in(user)  # a fresh cookie: the pending sign-in and any set-up secret are gone
    audit.record(
        "login.success", object_type="user", object_id=str(user.id), detail={"via": method}
    )
    db.session.commit()
    return home_for(user)


def _client_key() -> str:
    return throttle.client_key(request.remote_addr)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(IP_LIMIT, methods=["POST"], key_func=_client_key)
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        account, address = throttle.account_key(_tenant_id(), email), request.remote_addr
        known_device = account in known_devices.accounts()
        verdict = throttle.before_attempt(account, address, known_device=known_device)
        if not verdict.allowed:  # counted before the check, so parallel guesses count too
            return _refused(verdict, form)
        user = authenticate(_tenant_id(), email, form.password.data or "")
        if user is not None:
            throttle.succeeded(account, address)
            target = _safe_next(request.args.get("next"))
            if not user.needs_second_factor:
                home = finish_login(user, "password")
                return redirect(target or home)
            return redirect(begin_second_step(user, target))
        paused = throttle.failed(account, address)  # before the audit row holds its chain
        known = find_user(_tenant_id(), email)
        audit.record(
            "login.failure",
            object_type="user" if known else None,
            object_id=str(known.id) if known else None,
            actor_id=known.id if known else None,
        )
        if paused:
            _locked(known)
        db.session.commit()
        flash(_("That e-mail address and password do not match. Please try again."), "danger")
    return render_template("auth/login.html", form=form)


def begin_second_step(user: User, target: str | None = None) -> str:
    """Her password is proven: hold the half-finished sign-in in a fresh cookie and return
    where she goes next (her code, or setting up her authenticator the first time)."""
    _fresh_session()
    session["pending_login"] = {
        "uid": user.id,
        "token": user.session_token,  # a password change meanwhile voids it
        "at": time.time(),
        "next": target,
    }
    return url_for("auth.second_step" if user.totp_secret else "auth.setup_two_factor")


def _pending_user() -> User:
    pending = session.get("pending_login")
    if not pending or time.time() - pending["at"] > PENDING_TTL:
        session.pop("pending_login", None)
        abort(redirect(url_for("auth.login")))
    user = db.session.get(User, pending["uid"])
    if (
        user is None
        or not user.active
        or user.tenant_id != _tenant_id()
        or user.session_token != pending.get("token")
    ):
        session.pop("pending_login", None)
        abort(redirect(url_for("auth.login")))
    return user


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(SECOND_STEP_LIMIT, methods=["POST"], key_func=_pending_key)
def second_step():
    user = _pending_user()
    if not user.totp_secret:
        return redirect(url_for("auth.setup_two_factor"))
    form = CodeForm()
    if form.validate_on_submit():
        code = form.code.data or ""
        if twofactor.verify_totp(user, code):
            return redirect(_after_login(user, "totp"))
        if twofactor.use_recovery_code(user, code):
            flash(_("You used a recovery code. Each code works once."), "warning")
            return redirect(_after_login(user, "recovery_code"))
        audit.record(
            "login.second_step_failure",
            object_type="user",
            object_id=str(user.id),
            actor_id=user.id,
        )
        db.session.commit()
        flash(_("That code is not right. Please try again."), "danger")
    return render_template("auth/second_step.html", form=form)


def _after_login(user: User, method: str) -> str:
    target = session.get("pending_login", {}).get("next")
    home = finish_login(user, method)
    return target or home


@bp.route("/login/setup-2fa", methods=["GET", "POST"])
@limiter.limit(SECOND_STEP_LIMIT, methods=["POST"], key_func=_pending_key)
def setup_two_factor():
    """Staff set up their authenticator on first sign-in; patients may from their account."""
    user = current_user if current_user.is_authenticated else _pending_user()
    if user.totp_secret:
        # 2FA is on: half signed in, she proves it; signed in, it stays as it is (replacing it
        # would let a stolen session keep access for good).
        if current_user.is_authenticated:
            return redirect(home_for(user))
        return redirect(url_for("auth.second_step"))
    secret = session.get("totp_setup") or twofactor.new_secret()
    session["totp_setup"] = secret
    form = SetupForm()
    signed_in = current_user.is_authenticated
    if form.validate_on_submit():
        if signed_in and not user.check_password(form.password.data or ""):
            form.password.errors = [_("That is not your password.")]
        elif twofactor.check_code(secret, form.code.data or ""):
            codes = twofactor.enable(user, secret)
            twofactor.verify_totp(user, form.code.data or "")  # this code is spent now
            session.pop("totp_setup", None)
            audit.record(
                "2fa.enabled", object_type="user", object_id=str(user.id), actor_id=user.id
            )
            if signed_in:
                db.session.commit()
            else:
                finish_login(user, "totp_setup")
            return render_template("auth/recovery_codes.html", codes=codes)
        else:
            flash(
                _("That code is not right. Check the time on your phone and try again."), "danger"
            )
    tenant = current_tenant()
    uri = twofactor.provisioning_uri(secret, user, tenant.name if tenant else "platform")
    return render_template(
        "auth/setup_two_factor.html",
        form=form,
        secret=secret,
        qr=twofactor.qr_data_uri(uri),
        signed_in=signed_in,
    )


@bp.route("/logout", methods=["POST"])
def logout():
    """Ends this session on the server too: a copy of the cookie no longer signs anyone in."""
    if current_user.is_authenticated:
        sessions.end(current_user.session_key)
        audit.record("logout", object_type="user", object_id=str(current_user.id))
        db.session.commit()
    logout_user()
    g.clear_site_data = True
    session.pop("pending_login", None)
    session.pop("totp_setup", None)
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"], key_func=_client_key)
@limiter.limit("3 per hour", methods=["POST"], key_func=_reset_key)
def forgot_password():
    form = ForgotForm()
    if form.validate_on_submit():
        tenant = current_tenant()
        password_reset.request_reset(
            _tenant_id(),
            form.email.data or "",
            link_template=external_url(
                "auth.reset_password", token=password_reset.TOKEN_PLACEHOLDER
            ),
            site_name=tenant.name if tenant else "Pelvicoach",
        )
        db.session.commit()
        flash(
            _("If this address has an account here, we have sent it a link. It works for an hour."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], key_func=_client_key)
def reset_password(token: str):
    user = password_reset.user_for_token(_tenant_id(), token)
    if user is None:  # unknown, used, expired, or another site's: all "not found"
        return render_template("auth/link_expired.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        password = form.password.data or ""
        problems = passwords.problems(
            password, staff=not user.has_role(Role.PATIENT), email=user.email
        )
        if not problems:
            password_reset.reset_password(_tenant_id(), token, password)
            db.session.commit()
            throttle.unlock(throttle.account_key(_tenant_id(), user.email))
            flash(_("Your password is changed. Please sign in."), "success")
            return redirect(url_for("auth.login"))
        form.password.errors = [*form.password.errors, *problems]
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"], key_func=lambda: f"password:{current_user.id}")
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user: User = current_user._get_current_object()  # type: ignore[attr-defined]
        problems = passwords.problems(
            form.password.data or "", staff=not user.has_role(Role.PATIENT), email=user.email
        )
        if not user.check_password(form.current.data or ""):
            form.current.errors = [*form.current.errors, _("This is not your current password.")]
        elif problems:
            form.password.errors = [*form.password.errors, *problems]
        else:
            user.set_password(form.password.data or "")
            audit.record("password.changed", object_type="user", object_id=str(user.id))
            _sign_in(user)  # this browser carries on in a new session; every other one has ended
            db.session.commit()
            flash(_("Your password is changed. You are signed out everywhere else."), "success")
            return redirect(home_for(user))
    return render_template("auth/change_password.html", form=form)


def _clear_site_data(response: Response) -> Response:
    """Signing in or out leaves nothing of the session before in this browser: no cached
    pages, no offline queue, no service worker (Clear-Site-Data)."""
    if g.pop("clear_site_data", False):
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


def init_app(app: Flask) -> None:
    app.after_request(_clear_site_data)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    app.register_blueprint(bp)
