"""Her reminders: days, times and a pause; the private calendar feed; and unsubscribing from
an e-mail's link without signing in (RFC 8058 one-click)."""

from __future__ import annotations

from datetime import date, time

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import as_utc, csrf, db
from pelvicoach.platform.tenancy import external_url, require_tenant
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.patient import her, zone
from pelvicoach.programs.reminders import calendar
from pelvicoach.programs.reminders import services as reminders
from pelvicoach.programs.reminders.timing import QUIET_END, QUIET_START


@bp.app_template_global("weekday_name")
def weekday_name(day: int) -> str:
    """Monday 0, in her language, short."""
    return format_date(date(2024, 1, 1 + day), "EEE")


def _times(values: list[str]) -> list[time]:
    """Clock times of her own day; one carrying a UTC offset is not a time her form sends."""
    times = [time.fromisoformat(value) for value in values if value.strip()]
    if any(moment.tzinfo is not None for moment in times):
        raise ValueError("a clock time without an offset")
    return times


@bp.route("/reminders", methods=["GET", "POST"])
@require_role(Role.PATIENT)
def reminder_settings():
    me = her()
    plan = reminders.plan_for(me.patient, zone().key)
    error = None
    if request.method == "POST":
        action = request.form.get("action", "save")
        if action == "calendar":
            reminders.new_calendar_link(plan)
        elif action == "revoke":
            reminders.revoke_calendar(plan)
        elif action == "stop":
            reminders.unsubscribe(plan)
        else:
            try:
                pause = request.form.get("paused_until") or None
                reminders.choose(
                    plan,
                    [int(day) for day in request.form.getlist("weekday")],
                    _times(request.form.getlist("time")),
                    zone().key,
                    date.fromisoformat(pause) if pause else None,
                )
            except (ValueError, reminders.PlanError):
                db.session.rollback()
                error = True
        if not error:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("portal.reminder_settings"))
    token = reminders.calendar_token(plan)
    db.session.commit()
    # Before she first chooses, the page offers her coach's suggestion (sent only once saved).
    fresh = not plan.weekdays and not plan.times and plan.unsubscribed_at is None
    settings = me.program.settings
    return render_template(
        "portal/reminders.html",
        plan=plan,
        days=settings["reminder_weekdays"] if fresh else plan.weekdays,
        times=settings["reminder_times"] if fresh else plan.times,
        suggested=fresh,
        next_at=as_utc(plan.next_at).astimezone(zone()) if plan.next_at else None,
        feed=external_url("portal.calendar_feed", token=token) if token else None,
        error=error,
        quiet=(QUIET_START.strftime("%H:%M"), QUIET_END.strftime("%H:%M")),
        form=request.form,
    ), (422 if error else 200)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # mail clients post the one-click unsubscribe without a form; the token is the key
def unsubscribe(token: str):
    plan = reminders.plan_by_token("unsubscribe", token, require_tenant().id)
    if plan is None:
        abort(404)
    if request.method == "POST":
        reminders.unsubscribe(plan)
        db.session.commit()
    return render_template("portal/unsubscribe.html", done=plan.unsubscribed_at is not None)


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    plan = reminders.plan_by_token("calendar", token, require_tenant().id)
    if plan is None:
        abort(404)
    body = calendar.feed(
        f"{plan.tenant_id}-{plan.id}",
        [] if plan.unsubscribed_at or reminders.coach_stopped(plan) else plan.weekdays,
        plan.times,
        plan.time_zone,
        _("Practise"),
        external_url("portal.home"),
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
