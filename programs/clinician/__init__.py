"""The clinician's blueprint: her caseload and her patients' records."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("clinician", __name__, template_folder="templates", url_prefix="/staff/patients")

from pelvicoach.programs.clinician import actions, views  # noqa: E402, F401 (their routes)
