"""Her training: today's set with the guide, the two-tap log, her level and her progress."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.errors import problem, wants_json
from pelvicoach.platform.extensions import db
from pelvicoach.programs.audio import services as audio
from pelvicoach.programs.audio.speech import available as voice_available
from pelvicoach.programs.audio.timeline import level_timeline
from pelvicoach.programs.enrolment.models import Phase
from pelvicoach.programs.followup import services as followup
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.followup import severity_chart
from pelvicoach.programs.portal.learn import clip_response
from pelvicoach.programs.portal.patient import Standing, her, today, zone
from pelvicoach.programs.training import progression
from pelvicoach.programs.training import services as training
from pelvicoach.programs.training.models import TrainingPlan
from pelvicoach.programs.training.schemas import SessionLogSchema

CALENDAR_WEEKS = 4
RUN_DAYS = 366  # how far back a run of days in a row is counted


def trainee() -> tuple[Standing, TrainingPlan]:
    """Her and her plan; the locked page when the intake has not unlocked training."""
    me = her()
    if me.patient.phase != Phase.TRAINING:
        page = render_template("portal/training_locked.html", last=me.last_intake)
        abort(Response(page, status=200 if request.method == "GET" else 403))
    return me, training.plan_for(me.patient)


@bp.get("/training")
@require_role(Role.PATIENT)
def training_home():
    me, plan = trainee()
    level = training.level_of(me.program, plan.level)
    status = training.progress(me.patient, plan, me.program, today(), zone())
    db.session.commit()  # a plan started now is kept
    return render_template(
        "portal/training.html",
        program=me.program,
        plan=plan,
        level=level,
        status=status,
        advice=progression.Advice,
        timeline=level_timeline(level, me.program.cues, str(get_locale())).as_json(),
        client_id=uuid.uuid4(),
        bladder=plan.bladder_training,
        voice=voice_available(),
    )


@bp.post("/training/log")
@require_role(Role.PATIENT)
def training_log():
    """One set logged: from the form (two taps) or as JSON from her phone's offline queue.
    The same client id twice stores it once."""
    me, plan = trainee()
    payload = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    try:
        data = SessionLogSchema().load(payload if isinstance(payload, dict) else {})
        if data["level"] > len(me.program.levels):
            raise ValidationError({"level": ["No such level."]})
    except ValidationError as error:
        db.session.rollback()
        if wants_json() or request.is_json:
            return problem(
                422, "Unprocessable Content", "The log has invalid fields.", errors=error.messages
            )
        flash(_("Your set could not be saved. Choose how hard it was, then try again."), "danger")
        return redirect(url_for("portal.training_home", _anchor="log"))
    stored = training.log_session(me.patient, plan, zone=zone(), **data)
    db.session.commit()
    if request.is_json:
        return {"client_id": str(data["client_id"]), "stored": stored}, 201 if stored else 200
    if stored:
        flash(_("Saved. Well done!"), "success")
    return redirect(url_for("portal.training_home", _anchor="today"))


@bp.route("/training/level", methods=["GET", "POST"])
@require_role(Role.PATIENT)
def training_level():
    me, plan = trainee()
    if request.method == "POST":
        try:
            training.choose_level(plan, me.program, int(request.form.get("level", "")))
        except (ValueError, training.LevelError):
            db.session.rollback()
            flash(_("Choose one of the levels shown."), "danger")
            return redirect(url_for("portal.training_level"))
        db.session.commit()
        flash(_("You now train at level %(n)s.", n=plan.level), "success")
        return redirect(url_for("portal.training_home"))
    allowed = progression.choosable(plan.highest_level, len(me.program.levels), me.program.settings)
    return render_template(
        "portal/training_level.html", levels=me.program.levels, plan=plan, allowed=allowed
    )


@bp.get("/training/level-<int:number>.mp3")
@require_role(Role.PATIENT)
def training_audio(number: int):
    if not 1 <= number <= len(her().program.levels):
        abort(404)
    me, _plan = trainee()
    line = level_timeline(me.program.levels[number - 1], me.program.cues, str(get_locale()))
    spec = audio.exercise_spec(line, str(get_locale()))
    return clip_response("exercise", spec, f"level-{number}-{get_locale()}.mp3")


@bp.get("/progress")
@require_role(Role.PATIENT)
def progress():
    me, plan = trainee()
    last_day = today()
    first_day = last_day - timedelta(days=last_day.weekday() + 7 * (CALENDAR_WEEKS - 1))
    sets = training.days_practised(me.patient, last_day - timedelta(days=RUN_DAYS), last_day)
    db.session.commit()
    weeks = [
        [first_day + timedelta(days=7 * week + day) for day in range(7)]
        for week in range(CALENDAR_WEEKS)
    ]
    return render_template(
        "portal/progress.html",
        program=me.program,
        plan=plan,
        weeks=weeks,
        sets=sets,
        today=last_day,
        days=sum(1 for day in sets if (last_day - day).days < 28),
        run=_run(sets, last_day),
        practice_weeks=followup.practice_week(plan, last_day),
        graph=severity_chart()[0] if me.last_check_in_week is not None else None,
    )


def _run(sets: dict[date, int], last_day: date) -> int:
    """Days in a row she practised, up to today (or yesterday, today not over yet)."""
    day = last_day if last_day in sets else last_day - timedelta(days=1)
    run = 0
    while day in sets:
        run += 1
        day -= timedelta(days=1)
    return run
