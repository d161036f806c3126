"""Signing up with a campaign code, on the tenant's own branded page: the code, then her
details, then the link in her e-mail, which enrols her and opens her first visit (password and
consent). Guesses are limited per address and every wrong one is audited."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import DateField, EmailField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, Optional

from pelvicoach.platform import audit
from pelvicoach.platform.extensions import db, limiter
from pelvicoach.platform.tenancy import external_url, require_tenant
from pelvicoach.platform.throttle import account_key, client_key, network_key
from pelvicoach.programs.enrolment import codes, invitations
from pelvicoach.programs.enrolment.models import Cohort
from pelvicoach.programs.enrolment.schemas import EnrolmentSchema
from pelvicoach.programs.enrolment.services import EnrolmentError
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.patient import today

SESSION_KEY = "join_code"
GUESSES = "10 per hour;30 per day"
NETWORK_GUESSES = "30 per hour;100 per day"
MAILS_TO_ONE_ADDRESS = "3 per hour;6 per day"


class CodeForm(FlaskForm):
    code = StringField(_l("Your code"), validators=[DataRequired(), Length(max=40)])


class DetailsForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Your e-mail address"), validators=[DataRequired(), Length(max=254)])
    birth_year = IntegerField(_l("Your year of birth"), validators=[DataRequired()])
    delivery_date = DateField(
        _l("The date you gave birth (or are expected to)"), validators=[Optional()]
    )


def _guess_key() -> str:
    return client_key(request.remote_addr) + ":join"


def _network_key() -> str:
    """One attacker's many clients (an IPv6 /48, an IPv4 /24)."""
    return network_key(request.remote_addr) + ":join"


def _address_key() -> str:
    """Sign-ups are limited per address typed, as reset requests are: the confirmation mail
    goes to it before anyone proved it is theirs."""
    tenant = require_tenant()
    return "join:" + account_key(tenant.id, request.form.get("email") or "")


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(GUESSES, methods=["POST"], key_func=_guess_key)
@limiter.limit(NETWORK_GUESSES, methods=["POST"], key_func=_network_key)
def join():
    tenant = require_tenant()
    form = CodeForm()
    if form.validate_on_submit():
        code = codes.usable(tenant.id, form.code.data, today())
        if code is None:
            audit.record(
                "campaign_code.guess_failed",
                object_type="campaign_code",
                detail={"tried": codes.normalise(form.code.data)[:40]},
            )
            db.session.commit()
            form.code.errors = [
                _("This code is not valid (any more). Check it, or ask who gave it to you.")
            ]
        else:
            session[SESSION_KEY] = code.id
            return redirect(url_for("portal.join_details"))
    status = 422 if request.method == "POST" and form.errors else 200
    return render_template("portal/join.html", form=form), status


def _code() -> codes.CampaignCode | None:
    code_id = session.get(SESSION_KEY)
    code = db.session.get(codes.CampaignCode, code_id) if code_id else None
    if code is None or code.tenant_id != require_tenant().id:
        return None
    return code if code.state(today()) == "active" else None


@bp.route("/join/details", methods=["GET", "POST"])
@limiter.limit(GUESSES, methods=["POST"], key_func=_guess_key)
@limiter.limit(NETWORK_GUESSES, methods=["POST"], key_func=_network_key)
@limiter.limit(MAILS_TO_ONE_ADDRESS, methods=["POST"], key_func=_address_key)
def join_details():
    tenant = require_tenant()
    code = _code()
    if code is None:
        return redirect(url_for("portal.join"))
    form = DetailsForm()
    postpartum = code.cohort == Cohort.POSTPARTUM
    if form.validate_on_submit():
        data = {
            "email": form.email.data,
            "name": form.name.data,
            "cohort": code.cohort.value,
            "birth_year": form.birth_year.data,
            "delivery_date": form.delivery_date.data.isoformat()
            if postpartum and form.delivery_date.data
            else None,
        }
        try:
            loaded = EnrolmentSchema().load(data)
        except ValidationError as invalid:
            for name, problems in invalid.messages.items():
                if name in form._fields:
                    form[name].errors = [*form[name].errors, *(_(text) for text in problems)]
        else:
            codes.start_signup(
                code,
                email=loaded["email"].strip().lower(),
                name=loaded["name"].strip(),
                birth_year=loaded["birth_year"],
                delivery_date=loaded["delivery_date"],
                locale=str(get_locale()),
                link=lambda token: external_url("portal.join_verify", token=token),
                sign_in_link=external_url("auth.login"),
                site_name=tenant.name,
            )
            db.session.commit()
            session.pop(SESSION_KEY, None)
            return redirect(url_for("portal.join_sent"))
    status = 422 if request.method == "POST" and form.errors else 200
    return render_template(
        "portal/join_details.html", form=form, code=code, postpartum=postpartum
    ), status


@bp.get("/join/sent")
def join_sent():
    require_tenant()
    return render_template("portal/join_sent.html")


@bp.get("/join/verify/<token>")
@limiter.limit("20 per hour", key_func=_guess_key)
def join_verify(token: str):
    tenant = require_tenant()
    try:
        patient = codes.verify(tenant, token)
    except (codes.CodeError, EnrolmentError) as refused:
        db.session.rollback()
        message = str(refused) if isinstance(refused, codes.CodeError) else None
        return render_template("portal/join_refused.html", message=message), 404
    first_visit = invitations.issue(patient)
    audit.record(
        "patient.signed_up_with_code",
        object_type="patient",
        object_id=patient.pseudonym,
        actor_id=patient.user_id,
    )
    db.session.commit()
    return redirect(url_for("portal.first_visit", token=first_visit))
