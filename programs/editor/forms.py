"""The program editor's form, built for the tenant's document (its modules and levels), and
the way between that form and the document.

Bounds are the schema's: the form only reads numbers; `ProgramSchema` says what is allowed,
and its messages come back to the field they are about."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import Schema, validate
from wtforms import BooleanField, Field, IntegerField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, Regexp

from pelvicoach.programs.configuration.schemas import LevelSchema, SettingsSchema

# The settings an admin changes here, with what she reads.
SETTINGS = {
    "early_postpartum_weeks": _l("Weeks after giving birth before exercise training"),
    "training_days_needed": _l("Days a level's target is met before moving up"),
    "training_window_days": _l("…out of the last so many days"),
    "too_hard_repeats": _l("'Too hard' in a row before a step back is suggested"),
    "levels_ahead": _l("Levels she may choose above the highest reached"),
    "reassessment_weeks": _l("Check-in every so many weeks of practice"),
    "alert_week": _l("From this week of practice, no improvement raises the advice to seek care"),
}
LEVEL_FIELDS = {
    "hold_seconds": _l("Hold (s)"),
    "rest_seconds": _l("Rest (s)"),
    "repetitions": _l("Repetitions"),
    "sets": _l("Sets a day"),
    "quick_contractions": _l("Quick squeezes"),
}
COHORT_LABELS = {
    "postpartum": _l("Women who gave birth"),
    "menopause": _l("Women around the menopause"),
}
REMINDER_TIMES = 3


def bounds(schema: type[Schema], name: str) -> tuple[int, int]:
    """The schema's range for a number: the one source of the limits, so the form says them
    in the admin's language before the schema checks the whole document."""
    found = next(v for v in schema().fields[name].validators if isinstance(v, validate.Range))
    return int(found.min), int(found.max)


def _number(label: Any, schema: type[Schema], name: str) -> IntegerField:
    low, high = bounds(schema, name)
    return IntegerField(
        label,
        validators=[InputRequired(), NumberRange(low, high)],
        render_kw={"min": low, "max": high, "inputmode": "numeric"},
    )


def form_for(document: dict[str, Any]) -> type[FlaskForm]:
    """A form class with a field for every module and level of `document`, in her language."""
    locale = str(get_locale())
    fields: dict[str, Field] = {
        "cohorts": SelectMultipleField(
            _l("Offered to"),
            validators=[DataRequired(message=_l("Offer the coach to at least one group."))],
            choices=[SelectChoice(key, label) for key, label in COHORT_LABELS.items()],
            option_widget=widgets.CheckboxInput(),
            widget=widgets.ListWidget(prefix_label=False),
        ),
        "iciq_enabled": BooleanField(_l("Use the ICIQ-UI Short Form at intake and check-ins")),
        "iciq_licence_confirmed": BooleanField(
            _l("We hold a licence for the ICIQ-UI Short Form (commercial use)")
        ),
        "reminder_weekdays": SelectMultipleField(
            _l("Suggested reminder days"),
            coerce=int,
            choices=[
                SelectChoice(day, format_date(date(2024, 1, 1 + day), "EEEE")) for day in range(7)
            ],
            option_widget=widgets.CheckboxInput(),
            widget=widgets.ListWidget(prefix_label=False),
        ),
    }
    for name, label in SETTINGS.items():
        fields[name] = _number(label, SettingsSchema, name)
    for number in range(1, REMINDER_TIMES + 1):
        fields[f"reminder_time_{number}"] = StringField(
            _l("Suggested time %(n)d", n=number),
            validators=[Optional(), Regexp(r"^\d{2}:\d{2}$", message=_l("Use HH:MM."))],
        )
    for module in document["modules"]:
        title = module["title"].get(locale) or module["title"]["nl"]
        fields[f"module_{module['key']}"] = BooleanField(title)
    for level in document["levels"]:
        for name, label in LEVEL_FIELDS.items():
            fields[f"level_{level['level']}_{name}"] = _number(label, LevelSchema, name)
    return type("ProgramForm", (FlaskForm,), fields)


def fill(form: FlaskForm, document: dict[str, Any]) -> None:
    settings = document["settings"]
    form.cohorts.data = list(settings["cohorts"])
    form.iciq_enabled.data = settings["iciq_enabled"]
    form.iciq_licence_confirmed.data = settings["iciq_licence_confirmed"]
    form.reminder_weekdays.data = list(settings["reminder_weekdays"])
    for name in SETTINGS:
        form[name].data = settings[name]
    for number in range(1, REMINDER_TIMES + 1):
        times = settings["reminder_times"]
        form[f"reminder_time_{number}"].data = times[number - 1] if number <= len(times) else ""
    for module in document["modules"]:
        form[f"module_{module['key']}"].data = module.get("enabled", True)
    for level in document["levels"]:
        for name in LEVEL_FIELDS:
            form[f"level_{level['level']}_{name}"].data = level[name]


def to_document(form: FlaskForm, document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the form's values in it."""
    result = copy.deepcopy(document)
    settings = result["settings"]
    settings["cohorts"] = list(form.cohorts.data or [])
    settings["iciq_enabled"] = bool(form.iciq_enabled.data)
    settings["iciq_licence_confirmed"] = bool(form.iciq_licence_confirmed.data)
    settings["reminder_weekdays"] = sorted(set(form.reminder_weekdays.data or []))
    settings["reminder_times"] = sorted(
        {
            value
            for number in range(1, REMINDER_TIMES + 1)
            if (value := (form[f"reminder_time_{number}"].data or "").strip())
        }
    )
    for name in SETTINGS:
        settings[name] = form[name].data
    for module in result["modules"]:
        module["enabled"] = bool(form[f"module_{module['key']}"].data)
    for level in result["levels"]:
        for name in LEVEL_FIELDS:
            level[name] = form[f"level_{level['level']}_{name}"].data
    return result


def show(form: FlaskForm, messages: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """Put the schema's messages on the fields they are about; return those about nothing the
    form shows (texts and questions, changed elsewhere)."""
    rest: list[str] = []

    def on(name: str, problems: Any) -> None:
        field = form._fields.get(name)
        texts = _flat(problems)
        if field is None:
            rest.extend(texts)
        else:
            field.errors = [*field.errors, *texts]

    for section, problems in messages.items():
        if section == "settings" and isinstance(problems, dict):
            for name, found in problems.items():
                on("reminder_time_1" if name == "reminder_times" else name, found)
        elif section == "levels" and isinstance(problems, dict):
            for index, found in problems.items():
                number = document["levels"][int(index)]["level"]
                for name, text in found.items() if isinstance(found, dict) else []:
                    on(f"level_{number}_{name}", text)
        else:
            rest.extend(_flat(problems))
    return rest


def _flat(problems: Any) -> list[str]:
    if isinstance(problems, dict):
        return [text for value in problems.values() for text in _flat(value)]
    if isinstance(problems, list):
        return [text for value in problems for text in _flat(value)]
    return [str(problems)]
