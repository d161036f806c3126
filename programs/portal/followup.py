"""Check-ins (re-assessment), the advice to see her GP or a physiotherapist, "something
changed", her referrals, and the printable summary of her data."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import db
from pelvicoach.platform.inputs import an_id
from pelvicoach.platform.mail import queue_mail
from pelvicoach.platform.tenancy import external_url, require_tenant
from pelvicoach.programs.diary import services as diaries
from pelvicoach.programs.enrolment.models import Phase
from pelvicoach.programs.followup import rules
from pelvicoach.programs.followup import services as followup
from pelvicoach.programs.followup.chart import Chart, chart
from pelvicoach.programs.followup.models import AlertKind, CareAlert, Reassessment
from pelvicoach.programs.intake import rules as intake_rules
from pelvicoach.programs.intake.models import Intake
from pelvicoach.programs.intake.rules import AnswerError
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.intake import problem_text
from pelvicoach.programs.portal.patient import her, pdf_download, today, zone
from pelvicoach.programs.training import services as training
from pelvicoach.tenants.care_providers import ProviderKind, UnknownPostcodeError, nearest

ISI_MAX = 12


def _week() -> int | None:
    return followup.practice_week_from(her().practice_started_on, today())


@bp.route("/check-in", methods=["GET", "POST"])
@require_role(Role.PATIENT)
def check_in():
    me = her()
    week = _week()
    due = followup.next_due(me.last_check_in_week, week, me.program)
    if me.patient.phase != Phase.TRAINING or due is None:
        abort(404)
    answers = {key: request.form.getlist(key) for key in request.form if key != "csrf_token"}
    answers = {key: values[0] if len(values) == 1 else values for key, values in answers.items()}
    problems = {}
    if request.method == "POST" and due.now:
        try:
            outcome = followup.complete(
                me.patient, me.program, answers, week=week, intake=me.last_intake, today=today()
            )
        except AnswerError as error:
            db.session.rollback()
            problems = error.problems
        else:
            if outcome.alert is not None:
                _tell_her(outcome.alert)
            db.session.commit()
            return redirect(url_for("portal.check_in_result"))
    questions = rules.questions(me.program, {"leaked": "yes"})  # all, ISI shown as "if yes"
    return render_template(
        "portal/check_in.html",
        due=due,
        questions=questions,
        answers=answers,
        problems={
            key: problem_text(problem, _question(questions, key))
            for key, problem in problems.items()
        },
    ), (422 if problems else 200)


def _question(questions: list[dict], key: str) -> dict:
    return next((q for q in questions if q["key"] == key), {"kind": "single"})


def _tell_her(alert: CareAlert) -> None:
    """An e-mail that there is advice waiting: no health details in it, only the link."""
    user = her().patient.user
    if user is None:
        return
    queue_mail(
        tenant_id=alert.tenant_id,
        to=user.email,
        subject=_("A message from your coach"),
        body=_(
            "Hello,\n\nThere is a message for you in your coach. Sign in to read it:\n%(url)s\n",
            url=external_url("portal.advice"),
        ),
        purpose="care_alert",
    )


@bp.app_template_global("pgi_i_label")
def pgi_i_label(score: int) -> str:
    """The PGI-I's own wording for a score, as her clinician and GP know it."""
    return {
        1: _("very much better"),
        2: _("much better"),
        3: _("a little better"),
        4: _("no change"),
        5: _("a little worse"),
        6: _("much worse"),
        7: _("very much worse"),
    }.get(score, str(score))


def severity_graph(intake: Intake, done: list[Reassessment], *, staff: bool = False) -> Chart:
    """Her ISI from the intake through each check-in; for staff with the PGI-I under each."""
    values = [(_("start"), followup.baseline(intake).isi)] + [
        (_("week %(n)s", n=item.practice_week), item.isi) for item in done
    ]
    notes = [""] + [f"PGI-I {item.pgi_i}" for item in done] if staff else None
    return chart(values, ISI_MAX, notes)


def severity_chart() -> tuple[Chart, list[Reassessment]]:
    me = her()
    done = followup.history(me.patient)
    return severity_graph(me.last_intake, done), done


@bp.get("/check-in/result")
@require_role(Role.PATIENT)
def check_in_result():
    graph, done = severity_chart()
    if not done:
        abort(404)
    return render_template(
        "portal/check_in_result.html",
        graph=graph,
        much_better=0 < done[-1].pgi_i <= rules.PGI_SUCCESS,
        alert=followup.open_alert(her().patient),
        due=followup.next_due(done[-1].practice_week, _week(), her().program),
    )


def _kinds_for(alert: CareAlert | None) -> tuple[ProviderKind, ...]:
    """Whom she may go to: her GP first after a red flag (no self-treatment, no physio yet),
    else her GP or a pelvic physiotherapist."""
    if alert is not None and alert.kind == AlertKind.RED_FLAG:
        return (ProviderKind.GP,)
    return (ProviderKind.GP, ProviderKind.PELVIC_PHYSIO)


@bp.get("/advice")
@require_role(Role.PATIENT)
def advice():
    me = her()
    alert = followup.open_alert(me.patient)
    kinds = _kinds_for(alert)
    postcode = (request.args.get("postcode") or "").strip()[:10]
    centre, found, error = None, [], False
    if postcode:
        try:
            centre, found = nearest(require_tenant().id, postcode, kinds)
        except UnknownPostcodeError:
            error = True
    return render_template(
        "portal/advice.html",
        program=me.program,
        alert=alert,
        kinds=kinds,
        postcode=postcode,
        centre=centre,
        found=found,
        error=error,
        referrals=followup.referrals(me.patient),
    ), (400 if error else 200)


@bp.post("/advice/referral")
@require_role(Role.PATIENT)
def confirm_referral():
    me = her()
    kind = request.form.get("care_kind", "")
    provider = request.form.get("provider", type=an_id)
    alert_id = request.form.get("alert", type=an_id)
    alert = followup.find_alert(me.patient, alert_id) if alert_id else None
    if kind not in _kinds_for(alert) or (provider is None and request.form.get("provider")):
        flash(_("Choose who you will go to."), "danger")
        return redirect(url_for("portal.advice", _anchor="go"))
    try:
        followup.confirm_referral(me.patient, alert, ProviderKind(kind), provider)
    except followup.ProviderError:
        db.session.rollback()
        flash(_("Choose one of the care providers shown."), "danger")
        return redirect(url_for("portal.advice", _anchor="go"))
    db.session.commit()
    flash(_("Thank you. We have noted that you will make an appointment."), "success")
    return redirect(url_for("portal.advice", _anchor="referrals"))


@bp.post("/referrals/<int:referral_id>/attended")
@require_role(Role.PATIENT)
def referral_attended(referral_id: int):
    referral = followup.find_referral(her().patient, referral_id)
    if referral is None:
        abort(404)
    answer = request.form.get("attended")
    if answer not in ("yes", "no"):
        flash(_("Choose yes or no."), "danger")
    else:
        followup.answer_attended(referral, answer == "yes")
        db.session.commit()
        flash(_("Thank you for letting us know."), "success")
    return redirect(url_for("portal.advice", _anchor="referrals"))


@bp.route("/something-changed", methods=["GET", "POST"])
@require_role(Role.PATIENT)
def something_changed():
    """Red flags can appear any time: the intake's red-flag question, routed as in the intake."""
    me = her()
    question = next(q for q in me.program.questions(me.patient.cohort) if q["key"] == "red_flags")
    problem = None
    if request.method == "POST":
        try:
            chosen = intake_rules.parse(question, request.form.getlist("answer"), today())
        except AnswerError as error:
            problem = problem_text(error.problems["red_flags"], question)
        else:
            flags = [v for v in chosen if (intake_rules.option(question, v) or {}).get("red_flag")]
            if not flags:
                flash(_("Good to hear. Carry on, and tell us when something changes."), "success")
                return redirect(url_for("portal.home"))
            followup.report_red_flags(me.patient, flags)
            db.session.commit()
            return redirect(url_for("portal.advice"))
    return render_template("portal/something_changed.html", question=question, problem=problem), (
        422 if problem else 200
    )


@bp.get("/my-summary.pdf")
@require_role(Role.PATIENT)
def my_summary_pdf():
    """Her data on paper for her GP or physiotherapist: intake result, check-ins, training,
    latest diary."""
    me = her()
    done = followup.history(me.patient)
    plan = training.find_plan(me.patient)
    diary = diaries.latest(me.patient)
    diary_summary = diaries.summary_of(diary, diaries.entries(diary), zone()) if diary else None
    context = {
        "program": me.program,
        "intake": me.last_intake,
        "done": done,
        "plan": plan,
        "week": _week(),
        "diary": diary,
        "summary": diary_summary,
        "days": diaries.days_of(diary) if diary else [],
    }
    html = render_template("portal/my_summary_pdf.html", **context)
    fallback = render_template("portal/my_summary.html", unavailable=True, **context)
    return pdf_download(html, "mijn-gegevens.pdf", fallback)
