"""The intake, one question per screen: answers kept as she goes, the outcome and its advice."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.programs.configuration.program import Program
from pelvicoach.programs.intake import rules
from pelvicoach.programs.intake import services as intakes
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.intake.rules import AnswerError, Problem, Route
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.patient import her, localized, pdf_download, today


@bp.app_template_global("incontinence_type_label")
def type_label(kind: str) -> str:
    return {
        "stress": _("stress incontinence (leaking when coughing, sneezing, lifting)"),
        "urge": _("urge incontinence (leaking with a sudden strong need)"),
        "mixed": _("mixed incontinence (both)"),
        "other": _("other (leaking without activity or urge)"),
        "none": _("no leaking in the last 3 months"),
    }.get(kind, kind)


def problem_text(problem: Problem, question: dict[str, Any]) -> str:
    if problem is Problem.REQUIRED:
        return _("Fill in a date.") if question["kind"] == "date" else _("Choose an answer.")
    return {
        Problem.UNKNOWN_CHOICE: _("Choose one of the answers shown."),
        Problem.NOT_A_DATE: _("Fill in a date, for example 14-03-2026."),
        Problem.FUTURE_DATE: _("This date is in the future. Fill in the day your baby was born."),
        Problem.DATE_TOO_OLD: _("Check the date: it is more than 20 years ago."),
        Problem.EXCLUSIVE: _('"None of these" cannot be combined with other answers.'),
    }[problem]


def _asked(intake: Intake | None) -> list[dict[str, Any]]:
    me = her()
    return rules.questions(me.program, me.patient.cohort, intake.answers if intake else {})


def _next_unanswered(intake: Intake | None) -> str:
    answers = intake.answers if intake else {}
    for question in _asked(intake):
        if question["key"] not in answers:
            return url_for("portal.intake_question", key=question["key"])
    return url_for("portal.intake_check")


def _locked() -> date | None:
    return intakes.opens_on(her().last_intake, today())


@bp.get("/intake")
@require_role(Role.PATIENT)
def intake_start():
    patient = her().patient
    draft = intakes.draft(patient)
    return render_template(
        "portal/intake_start.html",
        draft=draft,
        last=her().last_intake,
        opens_on=_locked(),
        next_url=_next_unanswered(draft),
        count=len(_asked(draft)),
    )


@bp.route("/intake/q/<key>", methods=["GET", "POST"])
@require_role(Role.PATIENT)
def intake_question(key: str):
    if _locked():
        return redirect(url_for("portal.intake_start"))
    me = her()
    draft = intakes.draft(me.patient)
    asked = _asked(draft)
    position = next((i for i, q in enumerate(asked) if q["key"] == key), None)
    if position is None:
        abort(404)
    question = asked[position]
    error = None
    value: Any = (draft.answers.get(key) if draft else None) or ""
    if request.method == "POST":
        raw = request.form.getlist("answer")
        try:
            draft = intakes.answer(me.patient, me.program, key, raw, today())
        except AnswerError as exc:
            db.session.rollback()
            error = problem_text(exc.problems[key], question)
            value = raw if question["kind"] == "multi" else (raw[0] if raw else "")
        else:
            db.session.commit()
            return redirect(_next_unanswered(draft))
    back = (
        url_for("portal.intake_question", key=asked[position - 1]["key"])
        if position
        else url_for("portal.intake_start")
    )
    return render_template(
        "portal/intake_question.html",
        question=question,
        value=value,
        error=error,
        number=position + 1,
        count=len(asked),
        back=back,
        today=today().isoformat(),
    ), (400 if error else 200)


def _answer_text(question: dict[str, Any], value: Any) -> str:
    if question["kind"] == "date":
        return format_date(date.fromisoformat(value), "long") if value else ""
    labels = {o["value"]: localized(o["label"]) for o in question.get("options", [])}
    values = value if isinstance(value, list) else [value]
    return ", ".join(labels.get(v, v) for v in values if v)


def _summary(intake: Intake) -> list[tuple[dict[str, Any], str]]:
    me = her()
    return answer_summary(me.program, me.patient.cohort, intake)


def answer_summary(program: Program, cohort: str, intake: Intake) -> list[tuple[dict, str]]:
    """Each question she was asked, with her answer in words (in the reader's language)."""
    asked = rules.questions(program, cohort, intake.answers)
    return [(q, _answer_text(q, intake.answers.get(q["key"]))) for q in asked]


@bp.route("/intake/check", methods=["GET", "POST"])
@require_role(Role.PATIENT)
def intake_check():
    if _locked():
        return redirect(url_for("portal.intake_start"))
    me = her()
    draft = intakes.draft(me.patient)
    if draft is None:
        return redirect(url_for("portal.intake_start"))
    problems: dict[str, str] = {}
    if request.method == "POST":
        try:
            intakes.complete(me.patient, me.program, draft, today())
        except AnswerError as exc:
            db.session.rollback()
            draft = intakes.draft(me.patient)
            questions = {q["key"]: q for q in _asked(draft)}
            problems = {
                key: problem_text(problem, questions[key])
                for key, problem in exc.problems.items()
                if key in questions
            }
        else:
            db.session.commit()
            return redirect(url_for("portal.intake_result"))
    return render_template(
        "portal/intake_check.html", summary=_summary(draft), problems=problems
    ), (400 if problems else 200)


@bp.get("/intake/result")
@require_role(Role.PATIENT)
def intake_result():
    me = her()
    last = me.last_intake
    if last is None:
        return redirect(url_for("portal.intake_start"))
    return render_template(
        "portal/intake_result.html",
        intake=last,
        outcome=me.program.outcome(last.route.value),
        bladder=me.program.outcome("bladder_training") if last.bladder_training else None,
        Route=Route,
    )


@bp.get("/intake/summary.pdf")
@require_role(Role.PATIENT)
def intake_pdf():
    """Her answers and the advice, printable, to take to her GP."""
    me = her()
    last = me.last_intake
    if last is None:
        abort(404)
    html = render_template(
        "portal/intake_summary_pdf.html",
        intake=last,
        summary=_summary(last),
        outcome=me.program.outcome(last.route.value),
    )
    fallback = render_template("portal/pdf_unavailable.html", summary=_summary(last), intake=last)
    return pdf_download(html, "vragenlijst-huisarts.pdf", fallback)
