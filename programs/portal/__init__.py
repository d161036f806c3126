"""The patient's blueprint: her branded portal, mostly used on a phone."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "portal",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/portal-static",
)

from pelvicoach.programs.portal import (  # noqa: E402, F401 (each adds its routes to bp)
    bladder,
    care,
    consent,
    diary,
    farewell,
    first_visit,
    followup,
    home,
    intake,
    join,
    learn,
    my_data,
    offline,
    reminders,
    training,
)
from pelvicoach.programs.portal.patient import as_html, localized  # noqa: E402

bp.add_app_template_filter(localized, "loc")
bp.add_app_template_filter(lambda text: as_html(localized(text)), "prose")
