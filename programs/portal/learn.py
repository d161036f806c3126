"""Information modules and awareness exercises, with their audio."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, redirect, render_template, url_for
from flask_babel import get_locale

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.programs.audio import services as audio
from pelvicoach.programs.audio.speech import available as voice_available
from pelvicoach.programs.audio.timeline import timeline
from pelvicoach.programs.content import illustration
from pelvicoach.programs.information.services import mark_read
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.patient import her, illustration_in, localized


def _module(key: str) -> dict[str, Any]:
    me = her()
    module = me.program.module(key, me.patient.cohort)
    if module is None:
        abort(404)
    return module


def _read_aloud(module: dict[str, Any]) -> str:
    """The words of a module as they are read aloud: title, then each heading and its text."""
    parts = [localized(module["title"])]
    for section in module["sections"]:
        body = localized(section["body"]).replace("\n- ", "\n").removeprefix("- ")
        parts += [localized(section["heading"]), body]
    return "\n\n".join(parts)


def _exercise(key: str) -> dict[str, Any]:
    exercise = her().program.exercise(key)
    if exercise is None:
        abort(404)
    return exercise


def _timeline(exercise: dict[str, Any]):
    return timeline(exercise, her().program.cues, str(get_locale()))


@bp.get("/learn")
@require_role(Role.PATIENT)
def modules():
    me = her()
    return render_template(
        "portal/modules.html",
        modules=me.program.modules(me.patient.cohort),
        read=me.read,
        exercises=me.program.exercises,
    )


@bp.get("/learn/<key>")
@require_role(Role.PATIENT)
def module(key: str):
    found = _module(key)
    me = her()
    return render_template(
        "portal/module.html",
        module=found,
        svg=illustration_in(
            illustration(found["illustration"]) or "",
            localized(found["title"]),
            localized(found["illustration_alt"]),
        ),
        read=key in me.read,
        voice=voice_available(),
        modules=me.program.modules(me.patient.cohort),
    )


@bp.post("/learn/<key>/read")
@require_role(Role.PATIENT)
def module_read(key: str):
    _module(key)
    mark_read(her().patient, key)
    db.session.commit()
    return redirect(url_for("portal.module", key=key, _anchor="read"))


@bp.get("/learn/<key>/listen.mp3")
@require_role(Role.PATIENT)
def module_audio(key: str):
    if not voice_available():
        abort(404)
    spec = audio.text_spec(_read_aloud(_module(key)), str(get_locale()))
    return clip_response("text", spec, f"{key}-{get_locale()}.mp3")


@bp.get("/exercises/<key>")
@require_role(Role.PATIENT)
def exercise(key: str):
    found = _exercise(key)
    return render_template(
        "portal/exercise.html",
        exercise=found,
        timeline=_timeline(found).as_json(),
        voice=voice_available(),
        exercises=her().program.exercises,
    )


@bp.get("/exercises/<key>.mp3")
@require_role(Role.PATIENT)
def exercise_audio(key: str):
    found = _exercise(key)
    spec = audio.exercise_spec(_timeline(found), str(get_locale()))
    return clip_response("exercise", spec, f"{key}-{get_locale()}.mp3")


def clip_response(kind: str, spec: dict[str, Any], filename: str) -> Response:
    """The MP3 when rendered; else 503 with Retry-After while a job renders it."""
    clip = audio.clip_for(kind, spec)
    if clip is None:
        response = Response(
            render_template("portal/audio_pending.html"), status=503, mimetype="text/html"
        )
        response.headers["Retry-After"] = "5"
        return response
    response = Response(clip.data, mimetype="audio/mpeg")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
