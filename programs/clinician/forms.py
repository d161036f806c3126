"""The forms on a patient's record."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from pelvicoach.programs.monitoring import record
from pelvicoach.programs.monitoring.adjustments import MAX_NOTE, MAX_REASON, Change

CHANGES = {
    Change.LEVEL: _l("Set her level"),
    Change.UNLOCK: _l("Open exercise therapy"),
    Change.LOCK: _l("Close exercise therapy (back to awareness work)"),
    Change.BLADDER_ON: _l("Switch bladder training on"),
    Change.BLADDER_OFF: _l("Switch bladder training off"),
}


class PlanForm(FlaskForm):
    change = SelectField(
        _l("What to change"), choices=[SelectChoice(c.value, label) for c, label in CHANGES.items()]
    )
    level = IntegerField(_l("Level (for a new level)"), validators=[Optional(), NumberRange(1, 99)])
    reason = TextAreaField(
        _l("Reason, for the record (for example: contraction checked in the practice)"),
        validators=[DataRequired(), Length(max=MAX_REASON)],
    )
    note = TextAreaField(
        _l("A short note to her (optional; she reads it on her home page)"),
        validators=[Optional(), Length(max=MAX_NOTE)],
    )


class NoteForm(FlaskForm):
    text = TextAreaField(
        _l("A note for the record"), validators=[DataRequired(), Length(max=record.MAX_NOTE)]
    )


class LetterForm(FlaskForm):
    gp = StringField(_l("Her GP (name or practice; optional)"), validators=[Length(max=120)])
    findings = TextAreaField(
        _l("Your findings and advice (optional)"), validators=[Optional(), Length(max=2000)]
    )
    consent = BooleanField(
        _l("She agrees that this letter goes to her GP."),
        validators=[DataRequired(_l("Ask her first: the letter needs her consent."))],
    )
