"""What the report calls its categories, in the staff's words."""

from __future__ import annotations

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from pelvicoach.programs.intake.labels import ROUTES
from pelvicoach.reporting.facts import Stage
from pelvicoach.reporting.report import NOT_YET, Dim

DIMS = {
    Dim.PERIOD: _l("Year of enrolment"),
    Dim.COHORT: _l("Group"),
    Dim.AGE: _l("Age at enrolment"),
    Dim.VERSION: _l("Program version"),
    Dim.TEAM: _l("Team of her clinician"),
}
STAGES = {
    Stage.INVITED: _l("Invited or enrolled"),
    Stage.REGISTERED: _l("Created an account"),
    Stage.CONSENTED: _l("Consented to the use of health data"),
    Stage.INTAKE: _l("Finished the intake"),
    Stage.TRAINING: _l("Exercise therapy opened"),
}
VALUES = {
    "cohort": {"postpartum": _l("after giving birth"), "menopause": _l("menopause")},
    "type": {
        "stress": _l("stress incontinence"),
        "urge": _l("urge incontinence"),
        "mixed": _l("mixed incontinence"),
        "other": _l("other leakage"),
        "none": _l("no leakage"),
    },
    "severity": {
        "none": _l("no leakage"),
        "slight": _l("slight (ISI 1-2)"),
        "moderate": _l("moderate (ISI 3-6)"),
        "severe": _l("severe (ISI 8-9)"),
        "very_severe": _l("very severe (ISI 12)"),
    },
    "control": {
        "sufficient": _l("sufficient"),
        "unsure": _l("unsure"),
        "insufficient": _l("insufficient"),
    },
    "red_flag": {"yes": _l("one or more red flags"), "no": _l("no red flags")},
    "route": {str(route): label for route, label in ROUTES.items()},
    "active": {
        1: _l("practised that week"),
        0: _l("did not practise"),
        NOT_YET: _l("week not over yet"),
    },
    "sets_week": {
        "0": _l("none"),
        "1-6": _l("1 to 6 (less than one a day)"),
        "7-13": _l("7 to 13"),
        "14-20": _l("14 to 20"),
        "21+": _l("21 or more (three a day)"),
        NOT_YET: _l("in exercise therapy for less than four weeks"),
    },
    "plan": {
        "meets": _l("did the sets her plan asks for"),
        "below": _l("did fewer"),
        NOT_YET: _l("in exercise therapy for less than four weeks"),
    },
    "sends": {"reminder": _l("Reminders"), "nudge": _l("Nudges after a quiet week")},
    "returns": {
        "returned": _l("followed by a set"),
        "no_return": _l("no set that day or the next"),
    },
    "pgi": {
        "much_better": _l("much or very much better (PGI-I 1-2)"),
        "not_much_better": _l("less than that (PGI-I 3-7)"),
        "no_answer": _l("did not answer"),
        NOT_YET: _l("week not reached yet"),
    },
    "change": {
        "better": _l("less severe than at the intake"),
        "same": _l("as severe"),
        "worse": _l("more severe"),
        "no_answer": _l("did not answer"),
        NOT_YET: _l("week not reached yet"),
    },
    "referral": {
        "not_advised": _l("not advised to see anyone"),
        "advised": _l("advised, not confirmed"),
        "confirmed": _l("said she would go"),
        "attended": _l("went"),
    },
    "referral_reason": {
        "red_flag": _l("a red flag"),
        "no_improvement": _l("no improvement at the check-in"),
        "control": _l("control not sufficient"),
        "tear": _l("a tear or severe symptoms soon after birth"),
        "other_type": _l("leaking that is neither stress nor urge"),
        "her_request": _l("her own request"),
    },
    "referral_kind": {
        "gp": _l("GP"),
        "pelvic_physio": _l("pelvic physiotherapist"),
        "exercise_therapist": _l("exercise therapist"),
        "gynaecologist": _l("gynaecologist"),
        "urologist": _l("urologist"),
    },
}
TITLES = {
    "type": _l("Type of leakage"),
    "severity": _l("Severity"),
    "control": _l("Control of the pelvic floor"),
    "red_flag": _l("Red flags"),
    "route": _l("Where the intake sent her"),
}


def month_label(month: str) -> str:
    """'2026-03' as the reader's language names it."""
    return format_date(date.fromisoformat(f"{month}-01"), "MMM yyyy")


def value_label(dim: Dim, value: str) -> str:
    """A filter's value as the page offers it."""
    if dim is Dim.COHORT:
        return str(VALUES["cohort"][value])
    if dim is Dim.VERSION:
        return _("version %(n)s", n=value)
    if dim is Dim.TEAM and not value:
        return _("no team")
    return value
