"""Her bladder diary: start it, note entries with one thumb, see and print the summary."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from marshmallow import ValidationError

from pelvicoach.platform.access import require_role
from pelvicoach.platform.accounts import Role
from pelvicoach.platform.extensions import as_utc, db
from pelvicoach.programs.diary import services as diaries
from pelvicoach.programs.diary.models import (
    Diary,
    DrinkKind,
    EntryKind,
    LeakActivity,
    LeakAmount,
)
from pelvicoach.programs.diary.schemas import EntrySchema
from pelvicoach.programs.diary.summary import Flag
from pelvicoach.programs.portal import bp
from pelvicoach.programs.portal.patient import her, pdf_download, today, zone


@bp.app_template_global("diary_kind_label")
def kind_label(kind: str) -> str:
    return {
        EntryKind.VOID: _("Peed"),
        EntryKind.DRINK: _("Drank"),
        EntryKind.LEAK: _("Leaked"),
        EntryKind.PAD: _("Changed a pad"),
        EntryKind.BED: _("Went to bed"),
        EntryKind.WAKE: _("Got up"),
    }[EntryKind(kind)]


@bp.app_template_global("drink_label")
def drink_label(drink: str) -> str:
    return {
        DrinkKind.WATER: _("Water"),
        DrinkKind.COFFEE_TEA: _("Coffee or tea"),
        DrinkKind.MILK: _("Milk"),
        DrinkKind.FIZZY: _("Fizzy drink"),
        DrinkKind.ALCOHOL: _("Alcohol"),
        DrinkKind.OTHER: _("Something else"),
    }[DrinkKind(drink)]


@bp.app_template_global("leak_amount_label")
def leak_amount_label(amount: str) -> str:
    return {
        LeakAmount.DROPS: _("A few drops"),
        LeakAmount.SMALL: _("A little"),
        LeakAmount.LARGE: _("A lot"),
    }[LeakAmount(amount)]


@bp.app_template_global("activity_label")
def activity_label(activity: str) -> str:
    return {
        LeakActivity.COUGH_SNEEZE: _("Coughing or sneezing"),
        LeakActivity.LIFTING: _("Lifting"),
        LeakActivity.EXERCISE: _("Exercise"),
        LeakActivity.URGE: _("Sudden urge"),
        LeakActivity.NO_REASON: _("Nothing special"),
        LeakActivity.OTHER: _("Something else"),
    }[LeakActivity(activity)]


@bp.app_template_global("diary_error")
def error_text(field: str) -> str:
    return {
        "day": _("Choose one of the diary's days."),
        "time": _("Fill in a time, for example 08:30."),
        "millilitres": _("Fill in an amount between 10 and 2500 mL."),
        "drink": _("Choose what you drank."),
        "urgency": _("Choose a number from 0 to 4."),
        "leak_amount": _("Choose how much you lost."),
        "activity": _("Choose what you were doing."),
    }.get(field, _("Check this answer."))


@bp.app_template_global("diary_measure_label")
def measure_label(key: str) -> str:
    return {
        "day_voids": _("Peeing by day"),
        "night_voids": _("Peeing at night"),
        "leaks": _("Leaks"),
        "fluid_ml": _("Drinks"),
        "largest_void_ml": _("Largest amount of pee"),
        "mean_void_ml": _("Average amount of pee"),
        "pads": _("Pads changed"),
        "urgency": _("Average urge (0-4)"),
    }[key]


@bp.app_template_global("diary_value")
def measure_value(key: str, value: float) -> str:
    number = format_decimal(value, format="#,##0.#")
    if key in ("fluid_ml", "largest_void_ml", "mean_void_ml"):
        return _("%(n)s mL", n=format_decimal(value, format="#,##0"))
    if key == "urgency":
        return number
    return _("%(n)s times", n=number)


@bp.app_template_global("diary_flag_text")
def flag_text(key: str, flag: str) -> str:
    return {
        ("day_voids", Flag.HIGH): _(
            "You pee more often by day than most people. Drinking a lot, coffee or tea, or a "
            "sensitive bladder can cause this. Bladder training can help."
        ),
        ("day_voids", Flag.LOW): _(
            "You pee less often than most people. Check that you drink enough, and do not put "
            "off going to the toilet for too long."
        ),
        ("night_voids", Flag.HIGH): _(
            "You get up at night to pee more often than usual. Drinking less in the evening may "
            "help. Does it keep happening? Talk to your GP."
        ),
        ("leaks", Flag.HIGH): _(
            "You leaked urine. What you were doing at the time helps your GP or physiotherapist "
            "choose what suits you."
        ),
        ("fluid_ml", Flag.LOW): _(
            "You drink less than the 1.5 to 2 litres a day that is advised. Drinking too little "
            "can irritate your bladder."
        ),
        ("fluid_ml", Flag.HIGH): _(
            "You drink more than 2 litres a day. That is fine when it is warm or you exercise, "
            "but drinking more also means peeing more often."
        ),
        ("largest_void_ml", Flag.LOW): _(
            "Your largest amount is smaller than usual. Your bladder may be sensitive: bladder "
            "training can help it hold more."
        ),
        ("largest_void_ml", Flag.HIGH): _(
            "Your largest amount is more than usual. Do you often wait a long time before you "
            "pee? Mention it to your GP."
        ),
    }[(key, Flag(flag))]


def _mine() -> Diary:
    diary = diaries.latest(her().patient)
    if diary is None:
        abort(404)
    return diary


@bp.get("/diary")
@require_role(Role.PATIENT)
def diary_home():
    me = her()
    diary = diaries.latest(me.patient)
    noted = diaries.entries(diary) if diary else []
    her_zone = zone()
    by_day: dict = {}  # her local day -> [(her local time, entry)]
    for entry in noted:
        local = as_utc(entry.at).astimezone(her_zone)
        by_day.setdefault(local.date(), []).append((local.strftime("%H:%M"), entry))
    day_number = (today() - diary.starts_on).days + 1 if diary else None
    return render_template(
        "portal/diary.html",
        diary=diary,
        by_day=by_day,
        day_number=day_number,
        over=bool(diary and day_number > diary.days),
        days=me.program.settings["diary_days"],
        today=today(),
        kinds=list(EntryKind),
    )


@bp.post("/diary/start")
@require_role(Role.PATIENT)
def diary_start():
    me = her()
    when = today() + timedelta(days=1 if request.form.get("start") == "tomorrow" else 0)
    diary = diaries.latest(me.patient)
    if diary is None or diary.starts_on + timedelta(days=diary.days) <= today():
        diaries.start(me.patient, when, me.program.settings["diary_days"])
        db.session.commit()
    return redirect(url_for("portal.diary_home"))


@bp.route("/diary/add/<kind>", methods=["GET", "POST"])
@require_role(Role.PATIENT)
def diary_add(kind: str):
    if kind not in set(EntryKind):
        abort(404)
    kind = EntryKind(kind)
    diary = _mine()
    her_zone = zone()
    errors: dict = {}
    form = request.form.to_dict()
    if request.method == "POST":
        try:
            data = EntrySchema(kind).load_form(form)
            diaries.add(diary, kind, her_zone, **data)
        except (ValidationError, diaries.OutsideDiaryError) as error:
            db.session.rollback()
            errors = error.messages if isinstance(error, ValidationError) else {"day": []}
        else:
            db.session.commit()
            flash(_("Noted."), "success")
            return redirect(url_for("portal.diary_home"))  # at the buttons: the next note
    now = datetime.now(her_zone)
    days = diaries.entry_days(diary)
    return render_template(
        "portal/diary_entry.html",
        kind=kind,
        diary=diary,
        days=days,
        form=form,
        errors=errors,
        client_id=form.get("client_id") or uuid.uuid4(),
        default_day=now.date() if now.date() in days else days[0],
        default_time=now.strftime("%H:%M"),
        drinks=list(DrinkKind),
        amounts=list(LeakAmount),
        activities=list(LeakActivity),
    ), (422 if errors else 200)


@bp.post("/diary/entries/<int:entry_id>/delete")
@require_role(Role.PATIENT)
def diary_remove(entry_id: int):
    if not diaries.remove(_mine(), entry_id, zone()):
        abort(404)
    db.session.commit()
    flash(_("Removed."), "success")
    return redirect(url_for("portal.diary_home", _anchor="entries"))


def _summary(diary: Diary):
    return diaries.summary_of(diary, diaries.entries(diary), zone())


@bp.get("/diary/summary")
@require_role(Role.PATIENT)
def diary_summary():
    diary = _mine()
    return render_template(
        "portal/diary_summary.html",
        diary=diary,
        summary=_summary(diary),
        days=diaries.days_of(diary),
    )


@bp.get("/diary/summary.pdf")
@require_role(Role.PATIENT)
def diary_pdf():
    diary = _mine()
    summary, days = _summary(diary), diaries.days_of(diary)
    html = render_template("portal/diary_summary_pdf.html", diary=diary, summary=summary, days=days)
    fallback = render_template(
        "portal/diary_summary.html", diary=diary, summary=summary, days=days, unavailable=True
    )
    return pdf_download(html, "plasdagboek.pdf", fallback)
