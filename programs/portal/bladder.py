"""Bladder training: her voiding-interval schedule, week by week, with tips for the urge."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.programs.diary import services as diaries
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.patient import her, today, zone
from pelvicoach.programs.portal.training import trainee
from pelvicoach.programs.training import services as training


def _bladder_trainee():
    me, plan = trainee()
    if not plan.bladder_training:
        abort(404)
    return me, plan


@bp.get("/bladder-training")
@require_role(Role.PATIENT)
def bladder_training():
    me, plan = _bladder_trainee()
    diary_minutes = diaries.typical_interval(me.patient, zone())
    state = training.bladder_state(plan, me.program, diary_minutes)
    db.session.commit()
    return render_template(
        "portal/bladder.html",
        program=me.program,
        state=state,
        today=today(),
        from_diary=diary_minutes is not None,
    )


@bp.post("/bladder-training/start")
@require_role(Role.PATIENT)
def bladder_start():
    me, plan = _bladder_trainee()
    if training.bladder_state(plan, me.program).week is None:
        diary_minutes = diaries.typical_interval(me.patient, zone())
        training.start_bladder_training(plan, me.program, today(), diary_minutes)
        db.session.commit()
    return redirect(url_for("portal.bladder_training", _anchor="this-week"))


@bp.post("/bladder-training/tick")
@require_role(Role.PATIENT)
def bladder_tick():
    me, plan = _bladder_trainee()
    if training.tick_bladder_week(plan, me.program, today()):
        db.session.commit()
        state = training.bladder_state(plan, her().program)
        if state.reached:
            flash(_("You reached your goal. Keep to this interval: well done!"), "success")
        else:
            flash(
                _(
                    "Week ticked off. From now on: every %(minutes)s minutes.",
                    minutes=state.week.minutes,
                ),
                "success",
            )
    else:
        flash(_("You can tick this week off once you have kept to it for a week."), "warning")
    return redirect(url_for("portal.bladder_training", _anchor="this-week"))
