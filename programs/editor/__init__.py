"""The admin's program pages: edit a draft, publish it, compare versions, roll back."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("editor", __name__, template_folder="templates", url_prefix="/admin/program")

from pelvicoach.programs.editor import texts, views  # noqa: E402, F401 (their routes)
