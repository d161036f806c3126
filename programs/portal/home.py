"""Her home page and who looked at her data."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.auth import home_for
from pelvicoach.platform.extensions import db
from pelvicoach.platform.tenancy import current_tenant
from pelvicoach.programs.care.services import who_looked
from pelvicoach.programs.followup import services as followup
from pelvicoach.programs.intake import services as intakes
from pelvicoach.programs.monitoring import adjustments
from pelvicoach.programs.monitoring.adjustments import Change
from pelvicoach.programs.monitoring.models import PlanChange
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.patient import her, today


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
    me = her()
    if me.patient.stopped_at is not None:
        return render_template("portal/stopped.html", patient=me.patient)
    modules = me.program.modules(me.patient.cohort)
    return render_template(
        "portal/home.html",
        patient=me.patient,
        program=me.program,
        modules_read=sum(1 for m in modules if m["key"] in me.read),
        modules_total=len(modules),
        last=me.last_intake,
        level=me.level,
        alert=me.open_alert,
        check_in=followup.next_due(
            me.last_check_in_week,
            followup.practice_week_from(me.practice_started_on, today()),
            me.program,
        ),
        opens_on=intakes.opens_on(me.last_intake, today()),
        again=intakes.again(me.last_intake, today()),
        unread=me.unread_messages,
        changes=adjustments.unseen(me.patient) if me.unseen_changes else [],
    )


CHANGE_TEXTS = {
    Change.UNLOCK: _l("Your clinician opened the exercise training for you."),
    Change.LOCK: _l(
        "Your clinician asks you to do the awareness exercises first. The training waits for now."
    ),
    Change.BLADDER_ON: _l("Your clinician switched bladder training on for you."),
    Change.BLADDER_OFF: _l("Your clinician switched bladder training off."),
}


@bp.app_template_global("plan_change_text")
def plan_change_text(change: PlanChange) -> str:
    if change.kind == Change.LEVEL:
        return _("Your clinician set your training level to %(level)s.", level=change.level)
    return str(CHANGE_TEXTS[Change(change.kind)])


@bp.post("/plan-changes/seen")
@require_role(Role.PATIENT)
def plan_changes_seen():
    """She has read what her clinician changed: it leaves her home page."""
    adjustments.seen(her().patient)
    db.session.commit()
    return redirect(url_for("portal.home"))


@bp.get("/my-data/access")
@require_role(Role.PATIENT)
def access_log():
    """Who at her care provider opened her record, and when (NEN 7513 inzage)."""
    return render_template("portal/access_log.html", entries=who_looked(her().patient))
