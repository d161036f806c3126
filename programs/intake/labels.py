"""The intake's outcomes in words, for the staff who read them (her record, the reports)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from pelvicoach.programs.intake.rules import Route

ROUTES = {
    Route.SEE_GP: _l("to her GP (red flag)"),
    Route.PHYSIO: _l("to a pelvic physiotherapist"),
    Route.WAIT: _l("waiting: too soon after the birth"),
    Route.AWARENESS: _l("awareness work first"),
    Route.TRAINING: _l("exercise therapy"),
}
# Why: the rule of programs/intake/rules.decide that fired.
RULES = {
    "red_flag": _l("a red flag"),
    "severe_tear": _l("a third or fourth degree tear"),
    "severe_early": _l("severe leaking in the first weeks after the birth"),
    "early_postpartum": _l("the first weeks after the birth"),
    "other_type": _l("leaking that is neither stress nor urge"),
    "control_unsure": _l("unsure whether she controls her pelvic floor"),
    "control_insufficient": _l("not enough control of her pelvic floor"),
    "training": _l("sufficient control"),
    "training_bladder": _l("sufficient control; urge or mixed leaking, so bladder training too"),
}
