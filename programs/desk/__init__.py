"""The enrolment desk: enrolment officers and clinicians invite women and follow their
invitations. Sign-ups only: no clinical content here."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "desk",
    __name__,
    template_folder="templates",
    url_prefix="/staff/enrolment",
)

from pelvicoach.programs.desk import codes, imports, lifecycle, views  # noqa: E402, F401 (their routes)
