"""Her messages with her clinician: the thread, oldest first, and a box to write in. Opening
the thread marks her clinician's messages read."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db, limiter
from pelvicoach.platform.tenancy import external_url, require_tenant
from pelvicoach.programs.monitoring import messages
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.patient import her


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Message"), validators=[DataRequired(), Length(max=messages.MAX_LENGTH)]
    )


def thread_link(to_patient: bool) -> str:
    """Where the reader of an announcement finds the thread: hers, or her record for staff."""
    patient = her().patient
    if to_patient:
        return external_url("portal.messages_page")
    return external_url("clinician.patient", pseudonym=patient.pseudonym, _anchor="messages")


@bp.route("/messages", methods=["GET", "POST"])
@require_role(Role.PATIENT)
@limiter.limit("30 per hour", methods=["POST"], key_func=lambda: f"message:{current_user.id}")
def messages_page():
    patient = her().patient
    form = MessageForm()
    if form.validate_on_submit():
        messages.post(
            patient,
            current_user,
            form.body.data or "",
            from_patient=True,
            site_name=require_tenant().name,
            link=thread_link,
        )
        db.session.commit()
        flash(_("Sent. Your clinician will answer as soon as possible."), "success")
        return redirect(url_for("portal.messages_page", _anchor="latest"))
    if messages.mark_read(patient, by_patient=True):
        db.session.commit()
    status = 422 if request.method == "POST" else 200
    return render_template(
        "portal/messages.html", thread=messages.thread(patient), form=form, patient=patient
    ), status
